using System.Globalization;
using NetGen.Generator.Catalog;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Emitter;

/// <summary>
/// The receptive field of every activation of a convolutional network on its input, per spatial axis, by the standard
/// recurrence over the layers' windows (Araujo, Norris and Sim, "Computing Receptive Fields of Convolutional Neural
/// Networks", Distill 2019): the network input has r = 1 and jump j = 1; a layer with kernel k, stride s and dilation d
/// gives r_out = r_in + (k − 1)·d·j_in and j_out = j_in·s (j: how many input positions apart two neighbouring outputs
/// are, the effective stride). Pointwise layers keep both; a residual sum takes the larger field of its two inputs;
/// global average pooling is an H×W window. Padding moves where a field starts, not its size, so it does not count.
/// Only window arithmetic counts: the statistics of a normalisation (BatchNorm over the batch, LayerNorm over the
/// sample) are ignored, as receptive-field calculators do. A field is defined while the tensors are C×H×W (and for the
/// vector that global average pooling makes); none after a Flatten or a Dense, nor after fractional max pooling, whose
/// regions are drawn.
/// </summary>
internal static class ReceptiveField
{
    /// <summary>The field (Rh, Rw) and jump (Jh, Jw) of one tensor.</summary>
    internal readonly record struct Field(long Rh, long Rw, long Jh, long Jw)
    {
        /// <summary>"5×5 (2×2)": the field, then the jump.</summary>
        public override string ToString() => $"{I(Rh)}×{I(Rw)} ({I(Jh)}×{I(Jw)})";
    }

    /// <summary>Each tensor's field by tensor id, null where none is defined (every one when the input is not C×H×W).</summary>
    public static Field?[] Compute(Plan plan)
    {
        var fields = new Field?[plan.Tensors.Count];
        if (plan.InputShape.Count != 3 || fields.Length == 0)
        {
            return fields;
        }

        fields[0] = new Field(1, 1, 1, 1);
        foreach (NodePlan node in plan.Nodes)
        {
            Field? input = null;
            bool defined = node.Inputs.Count > 0;
            foreach (int id in node.Inputs)
            {
                if (fields[id] is not { } f || plan.Tensors[id].Shape.Count != 3)
                {
                    defined = false;
                    break;
                }

                input = input is { } g ? new Field(System.Math.Max(g.Rh, f.Rh), System.Math.Max(g.Rw, f.Rw), System.Math.Max(g.Jh, f.Jh), System.Math.Max(g.Jw, f.Jw)) : f;
            }

            if (!defined || input is not { } r
                || LayerCatalog.Get(node.Kind).Window(node.Arguments, plan.Tensors[node.Inputs[0]].Shape) is not { } w
                || (plan.Tensors[node.Output].Shape.Count != 3 && w.IsPointwise))
            {
                continue;
            }

            fields[node.Output] = new Field(
                r.Rh + ((long)(w.Kh - 1) * w.Dh * r.Jh), r.Rw + ((long)(w.Kw - 1) * w.Dw * r.Jw),
                r.Jh * w.Sh, r.Jw * w.Sw);
        }

        return fields;
    }

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);
}
