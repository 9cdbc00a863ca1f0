using System;
using System.Globalization;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading;

[assembly: InternalsVisibleTo("NetGen.Tests")]

namespace NetGen;

/// <summary>
/// Every path-taking save and load of NetGen goes through here: generated networks' <c>Save</c>,
/// <c>SaveTrainingState</c>, <c>ExportOnnx</c>, the folded inference model's <c>Save</c> and the matching loads,
/// the trainer's checkpoints, preprocessing transforms and <see cref="Serialization.SafeTensorsWriter.WriteTo(string)"/>.
/// </summary>
/// <remarks>
/// <para>A write is atomic: the bytes go to a new temporary file in the destination's folder, which is flushed to disk and
/// then renamed over the destination (a rename within one folder replaces the file in one step on every file system .NET
/// runs on). A crash, a full disk or an exception while writing (a model refused as too large, a serialisation error)
/// therefore leaves the previous file as it was, never a truncated one, and the temporary file is deleted.</para>
/// <para>A read names the file in every <see cref="InvalidDataException"/>: the readers behind the stream overloads report
/// the tensor or metadata key, and this adds the path.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class ModelFile
{
    /// <summary>Tests only: wraps the stream of each write on this thread (a stream that fails after N bytes stands in for a
    /// full disk). Thread-static, so tests running in parallel on other threads are not affected.</summary>
    [ThreadStatic]
    internal static Func<Stream, Stream>? WrapForTests;

    private static int s_counter;

    /// <summary>Writes <paramref name="path"/> atomically: <paramref name="write"/> fills a temporary file in the same
    /// folder, which is flushed to disk and renamed over <paramref name="path"/>. When <paramref name="write"/> (or the
    /// flush) throws, the temporary file is deleted, the exception goes on, and <paramref name="path"/> is untouched.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        string temporary = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture,
            $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Interlocked.Increment(ref s_counter)}.tmp"));
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                Stream stream = WrapForTests?.Invoke(file) ?? file;
                write(stream);
                stream.Flush();
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (IOException)
            {
                // The original exception matters more than a leftover temporary file.
            }
            catch (UnauthorizedAccessException)
            {
            }

            throw;
        }
    }

    /// <summary>Opens <paramref name="path"/> for <paramref name="read"/>; an <see cref="InvalidDataException"/> it throws
    /// comes back with the path in front of its message (the original as the inner exception).</summary>
    public static void Read(string path, Action<Stream> read)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(read);
        using FileStream stream = File.OpenRead(path);
        try
        {
            read(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }

    /// <summary><see cref="Read(string, Action{Stream})"/> for a reader that returns what it read.</summary>
    public static T Read<T>(string path, Func<Stream, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        T result = default!;
        Read(path, (Action<Stream>)(stream => { result = read(stream); }));
        return result;
    }
}
