using NetGen.Tests.Networks;
using Spectre.Console;

namespace NetGen.Tests;

/// <summary>NetGen.Console: the live bar draws each epoch's summary and the end line; redirected output gets plain lines.</summary>
public sealed class ConsoleProgressTests
{
    [Fact]
    public void RedirectedOutput_GetsThePlainReporter()
    {
        // The test host redirects standard output, as a pipe or a CI log does.
        Assert.True(System.Console.IsOutputRedirected);
        Assert.False(ConsoleProgress.IsInteractiveTerminal());
        Assert.IsType<PlainProgress>(ConsoleProgress.Create());
    }

    [Fact]
    public void LiveProgress_DrawsEveryEpochAndTheEndLine()
    {
        var text = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(text),
        });
        using var live = new LiveProgress(console);
        TrainingHistory history = new TrainerMlp(1).Fit(TrainerTests.Clusters(96, 2), new FitOptions { Epochs = 3, ValidationSplit = 0.25, Progress = live });

        string output = text.ToString();
        Assert.Contains("training TrainerMlp: 3 epochs of 5 batches (72 rows)", output);
        for (int epoch = 1; epoch <= 3; epoch++)
        {
            EpochRecord r = history[epoch - 1];
            Assert.Contains(FormattableString.Invariant($"epoch {epoch}/3 loss {r.Loss:F4} val {r.ValidationLoss:F4} acc {r.TrainAccuracy:F4}/{r.ValidationAccuracy:F4}"), output);
        }

        Assert.Contains("3 epochs done", output);
        Assert.Contains("\u001b[", output); // drawn with ANSI escape sequences
    }
}
