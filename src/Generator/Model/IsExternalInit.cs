namespace System.Runtime.CompilerServices;

/// <summary>Lets records compile on netstandard2.0 (the type ships in .NET 5+ only).</summary>
internal static class IsExternalInit
{
}
