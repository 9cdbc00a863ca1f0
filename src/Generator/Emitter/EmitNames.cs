using System.Linq;
using System.Text;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Emitter;

/// <summary>Names of the constants the generated code uses for arena offsets, in one place. A node's prefix is "L" + its
/// path with dots as underscores and names in PascalCase: "3" → L3, "3.branch.0" → L3_Branch_0.</summary>
internal static class EmitNames
{
    /// <summary>"0.weight" → L0_Weight, "1.running_mean" → L1_RunningMean, "4.shortcut.0.weight" → L4_Shortcut_0_Weight.</summary>
    public static string StateConst(StatePlan s) => Prefix(s.Key.Substring(0, s.Key.Length - s.Local.Length - 1)) + "_" + Pascal(s.Local);

    /// <summary>The offset of a node's output in the activation arena: L3_Y.</summary>
    public static string TensorConst(NodePlan node) => Prefix(node.Path) + "_Y";

    /// <summary>The offset of a node's cache: L3_Mask, L2_Argmax.</summary>
    public static string CacheConst(NodePlan node, string local) => Prefix(node.Path) + "_" + Pascal(local);

    /// <summary>A per-node field of the generated Core: _packedW3, s_geometry3_Branch_0.</summary>
    public static string Suffix(NodePlan node) => node.Path.Replace('.', '_');

    public static string Prefix(string path) => "L" + Pascal(path.Replace('.', '_'));

    /// <summary>A class or namespace name as a C# identifier: a keyword gets its '@' back ("class" → @class), since
    /// symbols carry names without it.</summary>
    public static string Identifier(string name) =>
        name.Length > 0 && name[0] != '@' && Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(name) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None ? "@" + name : name;

    /// <summary>A dotted namespace with each part as an identifier: "Demo.class" → Demo.@class.</summary>
    public static string QualifiedIdentifier(string name) => string.Join(".", name.Split('.').Select(Identifier));

    /// <summary>snake_case or dotted parts → PascalCase parts: "running_mean" → RunningMean, "3_branch_0" → 3_Branch_0.</summary>
    public static string Pascal(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool upper = true;
        foreach (char ch in text)
        {
            if (ch == '_')
            {
                upper = true;
                if (sb.Length > 0 && char.IsDigit(sb[sb.Length - 1]))
                {
                    sb.Append('_');
                }

                continue;
            }

            if (upper && sb.Length > 0 && char.IsDigit(ch) && !char.IsDigit(sb[sb.Length - 1]))
            {
                sb.Append('_');
            }

            sb.Append(upper ? char.ToUpperInvariant(ch) : ch);
            upper = false;
        }

        return sb.ToString();
    }
}
