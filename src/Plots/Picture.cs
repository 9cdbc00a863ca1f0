using System;
using System.IO;
using SkiaSharp;

namespace NetGen;

/// <summary>
/// A picture of training that saves itself as PNG (pixels) and SVG (vector, text kept as text): the base of
/// <see cref="TrainingCurves"/>, <see cref="UpdateRatioChart"/>, <see cref="LayerHistograms"/> and <see cref="WeightGrid"/>.
/// Both formats are drawn by the same code on a SkiaSharp canvas, so they show the same thing.
/// </summary>
public abstract class Picture
{
    /// <summary>Width of the picture in pixels (PNG) or user units (SVG).</summary>
    public abstract int Width { get; }

    /// <summary>Height of the picture in pixels (PNG) or user units (SVG).</summary>
    public abstract int Height { get; }

    /// <summary>Draws the picture on <paramref name="canvas"/>, whose origin is its top-left corner; the background is
    /// already white.</summary>
    protected abstract void Draw(SKCanvas canvas);

    /// <summary>The picture as PNG bytes, <see cref="Width"/> × <see cref="Height"/> pixels.</summary>
    public byte[] ToPng()
    {
        using var surface = SKSurface.Create(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"SkiaSharp could not create a {Width}×{Height} surface.");
        surface.Canvas.Clear(SKColors.White);
        Draw(surface.Canvas);
        surface.Canvas.Flush();
        using SKImage image = surface.Snapshot();
        using SKData data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The picture as an SVG document.</summary>
    public string ToSvg()
    {
        using var stream = new MemoryStream();
        using (var managed = new SKManagedWStream(stream))
        {
            using SKCanvas canvas = SKSvgCanvas.Create(SKRect.Create(Width, Height), managed);
            canvas.Clear(SKColors.White);
            Draw(canvas);
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes the picture as a PNG file (folders created as needed); returns <paramref name="path"/>.</summary>
    public string SavePng(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CreateFolderOf(path);
        File.WriteAllBytes(path, ToPng());
        return path;
    }

    /// <summary>Writes the picture as an SVG file (folders created as needed); returns <paramref name="path"/>.</summary>
    public string SaveSvg(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CreateFolderOf(path);
        File.WriteAllText(path, ToSvg());
        return path;
    }

    /// <summary>Writes both <c>{pathWithoutExtension}.png</c> and <c>{pathWithoutExtension}.svg</c>.</summary>
    public void Save(string pathWithoutExtension)
    {
        SavePng(pathWithoutExtension + ".png");
        SaveSvg(pathWithoutExtension + ".svg");
    }

    private static void CreateFolderOf(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }
    }
}
