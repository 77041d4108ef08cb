using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace CodeRunner.Tests.Sandbox;

/// <summary>
/// A real HTTP server on the host's loopback (Python's http.server over a directory): serves a PEP 503 "simple"
/// index as directory listings, which pip reads like any index. Stands in for PyPI, which is unreachable here.
/// </summary>
public sealed partial class LocalIndexServer : IDisposable
{
    private readonly Process process;

    private LocalIndexServer(Process process, string root, int port)
    {
        this.process = process;
        Root = root;
        Port = port;
    }

    public string Root { get; }
    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public string SimpleUrl => BaseUrl + "/simple/";

    public static LocalIndexServer Start(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "simple"));
        var start = new ProcessStartInfo("python3", ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", root])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        var line = process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult()
            ?? throw new InvalidOperationException("http.server exited before listening");
        var port = int.Parse(PortPattern().Match(line).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        return new LocalIndexServer(process, root, port);
    }

    /// <summary>Puts <paramref name="file"/> under simple/&lt;project&gt;/ (served as a listing with one link per file).</summary>
    public void AddToProject(string project, string file)
    {
        var directory = Path.Combine(Root, "simple", project);
        Directory.CreateDirectory(directory);
        File.Copy(file, Path.Combine(directory, Path.GetFileName(file)), overwrite: true);
    }

    public void Dispose()
    {
        try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        process.WaitForExit(5000);
        process.Dispose();
    }

    [GeneratedRegex(@"port (\d+)")]
    private static partial Regex PortPattern();
}

/// <summary>A TCP port on the host's loopback that counts who connects: stands for anything an install must not reach.</summary>
public sealed class ConnectionTrap : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private int accepted;

    public ConnectionTrap()
    {
        listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;
    public int Accepted => Volatile.Read(ref accepted);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                Interlocked.Increment(ref accepted);
                // Holds the connection open and silent (a tunnel that never talks).
                _ = Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => client.Dispose(), TaskScheduler.Default);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        stop.Dispose();
    }
}
