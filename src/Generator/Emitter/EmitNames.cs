using NetGen.Generator.Planner;

namespace NetGen.Generator.Emitter;

/// <summary>Names of the constants the generated code uses for arena offsets, in one place.</summary>
internal static class EmitNames
{
    /// <summary>"0.weight" → L0_Weight, "5.weight" of a PReLU → L5_Weight, "0.bias" → L0_Bias.</summary>
    public static string ParameterOffset(ParamPlan p)
    {
        int dot = p.Key.IndexOf('.');
        string suffix = p.Key.Substring(dot + 1);
        return "L" + p.Key.Substring(0, dot) + "_" + char.ToUpperInvariant(suffix[0]) + suffix.Substring(1);
    }

    public static string OutputOffset(LayerPlan layer) => "L" + layer.Index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "_Y";

    public static string MaskOffset(LayerPlan layer) => "L" + layer.Index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "_Mask";
}
