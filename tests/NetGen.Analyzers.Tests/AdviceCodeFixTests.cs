namespace NetGen.Analyzers.Tests;

/// <summary>
/// Each code fix, source before and after: the framework applies the fix to every marked diagnostic, compares the text
/// exactly, and checks that the fixed source reports none of them again.
/// </summary>
public sealed class AdviceCodeFixTests
{
    [Fact]
    public Task NG0320_ReplacesSigmoidAndTanhWithReLUKeepingTheName() => AdviceTest.Fix(
        """
        [Network(InputSize = 4)]
        [Dense(8), {|NG0320:Sigmoid|}, Dense(8), {|NG0320:NetGen.Tanh(Name = "t")|}, Dense(2)]
        public partial class Net { }
        """,
        """
        [Network(InputSize = 4)]
        [Dense(8), ReLU, Dense(8), NetGen.ReLU(Name = "t"), Dense(2)]
        public partial class Net { }
        """);

    [Fact]
    public Task NG0321_SetsHeNormal() => AdviceTest.Fix(
        "[Network(InputSize = 4)][Dense(8, {|NG0321:Init = Init.GlorotUniform|}, Name = \"h\"), ReLU, Dense(2)] public partial class Net { }",
        "[Network(InputSize = 4)][Dense(8, Init = Init.HeNormal, Name = \"h\"), ReLU, Dense(2)] public partial class Net { }");

    [Fact]
    public Task NG0322_AddsBiasFalseOrTurnsAWrittenBiasOff() => AdviceTest.Fix(
        """
        [Network(InputShape = new[] { 1, 4, 4 })]
        [Conv2D(2, 3, Padding = 1, {|NG0322:Bias = true|}, BiasInit = 0.01), BatchNorm2D, ReLU, Flatten, {|NG0322:Dense(8)|}, BatchNorm1D, Dense(2)]
        public partial class Net { }
        """,
        """
        [Network(InputShape = new[] { 1, 4, 4 })]
        [Conv2D(2, 3, Padding = 1, Bias = false), BatchNorm2D, ReLU, Flatten, Dense(8, Bias = false), BatchNorm1D, Dense(2)]
        public partial class Net { }
        """);

    [Fact]
    public Task NG0323_RemovesTheDropoutFromItsList() => AdviceTest.Fix(
        "[Network(InputSize = 4)][Dense(8), ReLU, Dense(2), {|NG0323:Dropout(0.5)|}] public partial class Net { }",
        "[Network(InputSize = 4)][Dense(8), ReLU, Dense(2)] public partial class Net { }");

    [Fact]
    public Task NG0323_RemovesADropoutListOfItsOwn() => AdviceTest.Fix(
        """
        [Network(InputSize = 4)]
        [Dense(8)]
        [ReLU]
        [Dense(2)]
        [{|NG0323:Dropout(0.5)|}]
        public partial class Net { }
        """,
        """
        [Network(InputSize = 4)]
        [Dense(8)]
        [ReLU]
        [Dense(2)]
        public partial class Net { }
        """);

    /// <summary>NG0306 is the generator's: the test reports the generator's own diagnostics, and the fix provider, which
    /// declares the id, fixes them like its own (the layer falls back to Init.Auto, so He normal before the ReLU).</summary>
    [Fact]
    public Task NG0306_TheGeneratorsConstantInitIsFixedToAuto() => AdviceTest.FixGenerated(
        "[Network(InputSize = 4)][Dense(8, {|NG0306:Init = Init.Constant|}, InitValue = 0.5, Name = \"h\"), ReLU, Dense(2, {|NG0306:Init = Init.Zeros|})] public partial class Net { }",
        "[Network(InputSize = 4)][Dense(8, Name = \"h\"), ReLU, Dense(2)] public partial class Net { }");
}
