using Microsoft.CodeAnalysis;

namespace NetGen.Analyzers;

/// <summary>
/// The advice diagnostics, NG0320–NG0339: declarations that compile and train, but against a well-known rule of practice.
/// Each message says what was found, why it hurts and the rule's source, and the fix. They are Info or Warning, so a
/// project can silence one the standard way (<c>dotnet_diagnostic.NG0320.severity = none</c> in .editorconfig).
/// docs/diagnostics.md lists every id; docs/adr/0026 says why they come from an analyzer and not the generator.
/// </summary>
public static class AdviceDescriptors
{
    /// <summary>The category of every NG03xx id, the generator's included.</summary>
    public const string Category = "NetGen.Advice";

    /// <summary>Where each id's help link points: its row of docs/diagnostics.md, whose anchor is the id in lower case
    /// (<c>#ng0320</c>). The same base as the generator's (docs/adr/0033).</summary>
    public const string HelpLinkBase = "https://github.com/netgen/netgen/blob/main/docs/diagnostics.md#";

    /// <summary>The help link of <paramref name="id"/>.</summary>
    public static string HelpLink(string id) => HelpLinkBase + id.ToLowerInvariant();

    public static readonly DiagnosticDescriptor SaturatingHiddenActivation = new(
        "NG0320", "Prefer ReLU to sigmoid or tanh in hidden layers",
        "{0} layer '{1}' of {2} is a hidden activation: {0} saturates, and where it saturates its gradient is almost 0, so the layers below it learn slowly{3}. ReLU does not saturate for positive inputs and trains several times faster (Krizhevsky et al. 2012); the CS231n notes advise ReLU for hidden layers and never sigmoid. Replace it with [ReLU].",
        Category, DiagnosticSeverity.Info, isEnabledByDefault: true, helpLinkUri: HelpLink("NG0320"));

    public static readonly DiagnosticDescriptor GlorotBeforeReLU = new(
        "NG0321", "Use He initialisation before a ReLU-family activation",
        "{0} layer '{1}' of {2} uses Init.{3} and feeds {4}: Init.{3} keeps the variance of a linear unit (Var(w) = {5}), but a ReLU zeroes half of its inputs, so the activations shrink layer after layer and the gradients with them. He et al. 2015 (\"Delving Deep into Rectifiers\") derive Var(w) = 2/n_in for rectifiers; the CS231n notes recommend it for ReLU networks. Use Init = Init.HeNormal.",
        Category, DiagnosticSeverity.Info, isEnabledByDefault: true, helpLinkUri: HelpLink("NG0321"));

    public static readonly DiagnosticDescriptor BiasBeforeBatchNorm = new(
        "NG0322", "Bias directly before batch normalisation is redundant",
        "{0} layer '{1}' of {2} has a bias and feeds {3} '{4}', which subtracts the batch mean of every feature: the bias cancels out, gets a zero gradient and never changes, and BatchNorm's own shift β takes its place (Ioffe & Szegedy 2015, §3.2). Set Bias = false.",
        Category, DiagnosticSeverity.Info, isEnabledByDefault: true, helpLinkUri: HelpLink("NG0322"));

    public static readonly DiagnosticDescriptor DropoutAfterLastLayer = new(
        "NG0323", "Dropout after the last layer",
        "Dropout layer '{0}' of {1} comes after the network's last weight layer, so it drops the outputs themselves: during training the loss sees a random {2:P0} of the predictions set to 0 and the rest scaled by 1/(1 − p). Dropout regularises hidden units (Srivastava et al. 2014; Goodfellow et al., Deep Learning §7.12: output units are not dropped). Remove it, or move it before the last Dense.",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink("NG0323"));

    public static readonly DiagnosticDescriptor LearningRateOutOfRange = new(
        "NG0324", "Learning rate far outside the usual range for the optimizer",
        "LearningRate = {0} of {1} is more than 10 times {2} the usual range of optimizer '{3}', {4} to {5} ({6}): {7}. Check the value, then tune it on a validation set, searching on a log scale.",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink("NG0324"));

    public static readonly DiagnosticDescriptor L2WithTightMaxNorm = new(
        "NG0325", "L2 weight decay together with a tight max-norm constraint",
        "{0} combines L2 weight decay λ = {1} with a max-norm constraint c = {2}, below the usual c = 3 or 4 (Srivastava et al. 2014, §5.1; the CS231n notes): both pull the same weights toward 0, the projection binds on most steps at so small a c, and the L2 term shrinks further on top of it, so the weights are regularised more than either setting says. Use c = 3 or 4 with L2, or keep only one of the two.",
        Category, DiagnosticSeverity.Info, isEnabledByDefault: true, helpLinkUri: HelpLink("NG0325"));

    /// <summary>NG0330: the compiler's CS0246/CS0117 in the attributes of a NetGen class, with the nearest valid name.
    /// A warning, so that the suggestion shows in a command-line build next to the compiler's error.</summary>
    public static readonly DiagnosticDescriptor MisspelledName = new(
        "NG0330", "Unknown name in a network declaration",
        "'{0}' is not {1}; did you mean {2}? The compiler cannot resolve it (CS0246 or CS0117), so the project does not build and none of the network's code can be used until it is replaced. Replace it with the suggested name.",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink("NG0330"));
}
