namespace NetGen.Runtime.Tests;

/// <summary>
/// Tests that change the kernels' process-wide state (<c>Workers.ForgetJobObjects</c>, which makes every kernel's next
/// call create its job object again: 128 bytes inside whichever allocation test is measuring a split kernel at that
/// moment): xUnit runs them alone, never beside another test class.
/// </summary>
[CollectionDefinition(nameof(KernelStateCollection), DisableParallelization = true)]
public sealed class KernelStateCollection;
