using BenchmarkDotNet.Running;

// Runs the NetGen BenchmarkDotNet suite; pass BenchmarkDotNet arguments, e.g. --filter '*Network*' --job short.
BenchmarkSwitcher.FromAssembly(typeof(NetGen.Bench.NetworkBenchmarks).Assembly).Run(args);
