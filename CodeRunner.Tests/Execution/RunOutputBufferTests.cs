using CodeRunner.Core.Execution;
using CodeRunner.Web.Execution;

namespace CodeRunner.Tests.Execution;

/// <summary>The run page's output buffer: batching of renders, stdout/stderr segments, the browser cap.</summary>
public class RunOutputBufferTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static ExecutionOutput Out(string text) => new(text, IsStderr: false);
    private static ExecutionOutput Err(string text) => new(text, IsStderr: true);

    [Fact]
    public void The_first_chunk_renders_at_once()
    {
        var buffer = new RunOutputBuffer(new ManualClock());
        Assert.Equal(TimeSpan.Zero, buffer.Enqueue(Out("hello\n")));
    }

    [Fact]
    public void Chunks_arriving_before_the_render_share_it()
    {
        var buffer = new RunOutputBuffer(new ManualClock());
        Assert.NotNull(buffer.Enqueue(Out("a")));
        Assert.Null(buffer.Enqueue(Out("b")));
        Assert.Null(buffer.Enqueue(Out("c")));
        Assert.True(buffer.Drain());
        Assert.Equal("abc", Assert.Single(buffer.Segments).Text);
    }

    [Fact]
    public void A_chunk_right_after_a_render_waits_for_the_rest_of_the_interval()
    {
        var clock = new ManualClock();
        var buffer = new RunOutputBuffer(clock);
        buffer.Enqueue(Out("a"));
        buffer.Drain();
        clock.Now += TimeSpan.FromMilliseconds(20);
        Assert.Equal(RunOutputBuffer.RenderInterval - TimeSpan.FromMilliseconds(20), buffer.Enqueue(Out("b")));
        buffer.Drain();
        clock.Now += TimeSpan.FromMilliseconds(200);
        Assert.Equal(TimeSpan.Zero, buffer.Enqueue(Out("c")));
    }

    [Fact]
    public void Drain_without_new_output_reports_nothing_to_render()
    {
        var buffer = new RunOutputBuffer(new ManualClock());
        Assert.False(buffer.Drain());
        buffer.Enqueue(Out("x"));
        Assert.True(buffer.Drain());
        Assert.False(buffer.Drain());
    }

    [Fact]
    public void Stdout_and_stderr_stay_in_separate_segments_in_order()
    {
        var buffer = new RunOutputBuffer(new ManualClock());
        buffer.Enqueue(Out("one\n"));
        buffer.Enqueue(Out("two\n"));
        buffer.Enqueue(Err("boom\n"));
        buffer.Enqueue(Out("three\n"));
        buffer.Drain();
        buffer.EchoInput("typed");
        Assert.Equal(
            [(OutputKind.Stdout, "one\ntwo\n"), (OutputKind.Stderr, "boom\n"), (OutputKind.Stdout, "three\n"), (OutputKind.Stdin, "typed\n")],
            buffer.Segments.Select(s => (s.Kind, s.Text)));
        Assert.Equal(["out-stdout", "out-stderr", "out-stdout", "out-stdin"], buffer.Segments.Select(s => s.CssClass));
    }

    [Fact]
    public void Long_output_is_split_into_bounded_segments()
    {
        var buffer = new RunOutputBuffer(new ManualClock(), browserCap: 1000, segmentChars: 10);
        buffer.Enqueue(Out(new string('a', 7)));
        buffer.Drain();
        buffer.Enqueue(Out(new string('b', 18)));
        buffer.Drain();
        Assert.Equal(["aaaaaaabbb", "bbbbbbbbbb", "bbbbb"], buffer.Segments.Select(s => s.Text));
        Assert.Equal(25, buffer.DisplayedChars);
    }

    [Fact]
    public void Output_beyond_the_browser_cap_is_dropped_and_noted()
    {
        var buffer = new RunOutputBuffer(new ManualClock(), browserCap: 10, segmentChars: 4);
        buffer.Enqueue(Out("123456"));
        buffer.Enqueue(Err("abcdef"));
        buffer.Drain();
        Assert.True(buffer.BrowserTruncated);
        Assert.Equal(10, buffer.DisplayedChars);
        Assert.Equal("123456abcd", string.Concat(buffer.Segments.Select(s => s.Text)));

        buffer.Enqueue(Out("more"));
        buffer.Drain();
        buffer.EchoInput("typed");
        Assert.Equal(10, buffer.DisplayedChars);
    }

    [Fact]
    public void Output_exactly_at_the_cap_is_not_noted_as_truncated()
    {
        var buffer = new RunOutputBuffer(new ManualClock(), browserCap: 6);
        buffer.Enqueue(Out("123456"));
        buffer.Drain();
        Assert.False(buffer.BrowserTruncated);
    }

    [Fact]
    public void Clear_starts_over_and_forgets_queued_output()
    {
        var buffer = new RunOutputBuffer(new ManualClock(), browserCap: 5);
        buffer.Enqueue(Out("1234567"));
        buffer.Drain();
        buffer.Enqueue(Out("queued"));
        buffer.Clear();
        Assert.True(buffer.IsEmpty);
        Assert.False(buffer.BrowserTruncated);
        Assert.False(buffer.Drain());
        buffer.Enqueue(Out("new"));
        buffer.Drain();
        Assert.Equal("new", Assert.Single(buffer.Segments).Text);
    }
}
