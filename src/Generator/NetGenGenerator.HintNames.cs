using System;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Planner;

namespace NetGen.Generator;

public sealed partial class NetGenGenerator
{
    /// <summary>
    /// The generated file's name (docs/adr/0032). Roslyn refuses a hint name with a character a file name may not hold and
    /// one that another output already has, compared without case; either would throw out of the generator (CS8785, no
    /// output at all). The name is <c>{Namespace}.{Class}.NetGen.g.cs</c> when the full name is letters, digits, '_' and
    /// '.' only and no other [Network] class of the compilation has the same full name up to case; otherwise every other
    /// character becomes '_' and a hash of the exact full name follows: <c>Demo.N_t-1f2e3d4c.NetGen.g.cs</c>.
    /// </summary>
    internal static class HintNames
    {
        private const string Suffix = ".NetGen.g.cs";

        public static string For(INamedTypeSymbol symbol)
        {
            string full = symbol.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + symbol.Name : symbol.Name;
            return Build(full, HasCaseTwin(symbol));
        }

        internal static string Build(string fullName, bool twin)
        {
            var sb = new StringBuilder(fullName.Length + 20);
            bool plain = true;
            foreach (char ch in fullName)
            {
                bool keep = ch is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '.';
                plain &= keep;
                sb.Append(keep ? ch : '_');
            }

            if (!plain || twin)
            {
                sb.Append('-').Append(Hash(fullName).ToString("x8", CultureInfo.InvariantCulture));
            }

            return sb.Append(Suffix).ToString();
        }

        /// <summary>FNV-1a over the UTF-16 code units: stable across runs and platforms (string.GetHashCode is not).</summary>
        internal static uint Hash(string text)
        {
            uint hash = 2166136261;
            foreach (char ch in text)
            {
                hash = (hash ^ ch) * 16777619;
            }

            return hash;
        }

        /// <summary>Another [Network] class of this compilation whose namespace and name equal this one's up to case.</summary>
        private static bool HasCaseTwin(INamedTypeSymbol symbol)
        {
            var parts = new System.Collections.Generic.List<string>();
            for (INamespaceSymbol? ns = symbol.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
            {
                parts.Insert(0, ns.Name);
            }

            return Search(symbol.ContainingModule.GlobalNamespace, parts, 0, symbol);
        }

        private static bool Search(INamespaceSymbol ns, System.Collections.Generic.List<string> parts, int depth, INamedTypeSymbol symbol)
        {
            if (depth == parts.Count)
            {
                foreach (INamedTypeSymbol type in ns.GetTypeMembers())
                {
                    if (!SymbolEqualityComparer.Default.Equals(type, symbol) &&
                        string.Equals(type.Name, symbol.Name, StringComparison.OrdinalIgnoreCase) &&
                        IsNetwork(type))
                    {
                        return true;
                    }
                }

                return false;
            }

            foreach (INamespaceSymbol child in ns.GetNamespaceMembers())
            {
                if (string.Equals(child.Name, parts[depth], StringComparison.OrdinalIgnoreCase) && Search(child, parts, depth + 1, symbol))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsNetwork(INamedTypeSymbol type)
        {
            foreach (AttributeData attribute in type.GetAttributes())
            {
                if (attribute.AttributeClass?.ToDisplayString() == KnownTypeNames.NetworkAttribute)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Adds the source under its hint name. Should Roslyn refuse it all the same (a name this scheme did not
        /// foresee), the source goes under the hashed form, and failing that NG9001 is reported: never an exception.</summary>
        public static void Add(SourceProductionContext context, string hintName, Plan plan, string source)
        {
            try
            {
                context.AddSource(hintName, source);
                return;
            }
            catch (ArgumentException)
            {
            }

            string full = (plan.Namespace is null ? string.Empty : plan.Namespace + ".") + plan.ClassName;
            try
            {
                context.AddSource(Build(full, twin: true).Replace(Suffix, "-" + Hash(hintName).ToString("x8", CultureInfo.InvariantCulture) + Suffix), source);
            }
            catch (ArgumentException ex)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, plan.ClassName, "the generated file's name was refused: " + ex.Message));
            }
        }
    }
}
