using System;
using System.Text;

namespace NetGen.Generator.Emitter;

/// <summary>
/// A StringBuilder with an indentation level. <see cref="ToSourceText"/> asserts the indentation is back at zero,
/// which catches unbalanced braces in the emitter.
/// </summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _builder = new();

    public int Indentation { get; set; }

    public void WriteLine(string line = "")
    {
        if (line.Length > 0)
        {
            _builder.Append(' ', Indentation * 4);
            _builder.Append(line);
        }

        _builder.Append('\n');
    }

    /// <summary>Writes each line of a multi-line block at the current indentation.</summary>
    public void WriteLines(string block)
    {
        foreach (string line in block.Replace("\r\n", "\n").Split('\n'))
        {
            WriteLine(line);
        }
    }

    public void OpenBrace()
    {
        WriteLine("{");
        Indentation++;
    }

    public void CloseBrace(string suffix = "")
    {
        Indentation--;
        WriteLine("}" + suffix);
    }

    public string ToSourceText()
    {
        if (Indentation != 0)
        {
            throw new InvalidOperationException($"Unbalanced braces in generated source: indentation {Indentation} at the end.");
        }

        return _builder.ToString();
    }
}
