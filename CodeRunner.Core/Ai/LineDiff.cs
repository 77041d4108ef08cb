namespace CodeRunner.Core.Ai;

public enum DiffKind { Same, Removed, Added }

public sealed record DiffLine(DiffKind Kind, string Text);

/// <summary>A line diff (longest common subsequence) of the editor's program against the assistant's, for the answer panel.</summary>
public static class LineDiff
{
    /// <summary>Above this many line pairs the diff is shown as "all removed, all added" instead of spending the circuit's CPU.</summary>
    public const long MaxCells = 4_000_000;

    public static IReadOnlyList<DiffLine> Compute(string? before, string? after)
    {
        var a = Lines(before);
        var b = Lines(after);
        // Common head and tail first: most fixes touch a few lines in the middle.
        var head = 0;
        while (head < a.Length && head < b.Length && a[head] == b[head]) head++;
        var tail = 0;
        while (tail < a.Length - head && tail < b.Length - head && a[^(tail + 1)] == b[^(tail + 1)]) tail++;

        var result = new List<DiffLine>(a.Length + b.Length);
        result.AddRange(a.Take(head).Select(l => new DiffLine(DiffKind.Same, l)));
        var middleA = a[head..(a.Length - tail)];
        var middleB = b[head..(b.Length - tail)];
        if ((long)middleA.Length * middleB.Length > MaxCells)
        {
            result.AddRange(middleA.Select(l => new DiffLine(DiffKind.Removed, l)));
            result.AddRange(middleB.Select(l => new DiffLine(DiffKind.Added, l)));
        }
        else
        {
            result.AddRange(Lcs(middleA, middleB));
        }
        result.AddRange(a[(a.Length - tail)..].Select(l => new DiffLine(DiffKind.Same, l)));
        return result;
    }

    private static IEnumerable<DiffLine> Lcs(string[] a, string[] b)
    {
        var lengths = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
            for (var j = b.Length - 1; j >= 0; j--)
                lengths[i, j] = a[i] == b[j] ? lengths[i + 1, j + 1] + 1 : Math.Max(lengths[i + 1, j], lengths[i, j + 1]);
        int x = 0, y = 0;
        while (x < a.Length && y < b.Length)
        {
            if (a[x] == b[y])
            {
                yield return new DiffLine(DiffKind.Same, a[x]);
                x++;
                y++;
            }
            else if (lengths[x + 1, y] >= lengths[x, y + 1]) yield return new DiffLine(DiffKind.Removed, a[x++]);
            else yield return new DiffLine(DiffKind.Added, b[y++]);
        }
        while (x < a.Length) yield return new DiffLine(DiffKind.Removed, a[x++]);
        while (y < b.Length) yield return new DiffLine(DiffKind.Added, b[y++]);
    }

    private static string[] Lines(string? text) =>
        string.IsNullOrEmpty(text) ? [] : text.Replace("\r\n", "\n").TrimEnd('\n').Split('\n');
}
