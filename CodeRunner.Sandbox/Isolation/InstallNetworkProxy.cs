using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using CodeRunner.Sandbox.Processes;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Sandbox.Isolation;

/// <summary>Why the install proxy turned a connection away.</summary>
public enum InstallNetworkRefusalReason
{
    /// <summary>The host:port is not one of the configured package sources.</summary>
    NotAllowed,
    /// <summary>A default index (not named by the admin) resolved to a loopback, private or link-local address.</summary>
    NonPublicAddress,
    /// <summary>The name does not resolve.</summary>
    Unresolvable,
    /// <summary>Only CONNECT (TLS) and GET/HEAD of http:// sources are proxied.</summary>
    UnsupportedRequest,
    /// <summary>Too many connections open at once.</summary>
    ConnectionLimit,
    /// <summary>The install moved more bytes than allowed.</summary>
    ByteLimit,
}

/// <summary>A destination an install tried to reach and was refused.</summary>
public sealed record InstallNetworkRefusal(string Destination, InstallNetworkRefusalReason Reason)
{
    public string Describe() => Reason switch
    {
        InstallNetworkRefusalReason.NotAllowed => $"{Destination} is not a configured package index",
        InstallNetworkRefusalReason.NonPublicAddress => $"{Destination} resolves to a loopback, private or link-local address",
        InstallNetworkRefusalReason.Unresolvable => $"{Destination} does not resolve",
        InstallNetworkRefusalReason.UnsupportedRequest => $"{Destination}: only HTTPS (CONNECT) and GET/HEAD of http:// indexes are allowed",
        InstallNetworkRefusalReason.ConnectionLimit => $"{Destination}: too many connections at once",
        _ => $"{Destination}: the install's download limit is reached",
    };
}

/// <summary>Limits of one install's network (Sandbox:InstallProxy*).</summary>
public sealed record InstallNetworkLimits(int MaxConnections, TimeSpan IdleTimeout, long MaxBytes)
{
    public static InstallNetworkLimits From(SandboxOptions options) => new(
        Math.Max(1, options.InstallProxyMaxConnections),
        TimeSpan.FromSeconds(Math.Max(1, options.InstallProxyIdleTimeoutSeconds)),
        Math.Max(1, options.InstallProxyMaxMegabytes) * 1024L * 1024);
}

/// <summary>
/// The only network of a sandboxed install: an HTTP proxy on the host that listens on a Unix socket in a
/// fresh directory, which is bound into the sandbox (the sandbox keeps its own empty network namespace, so
/// the host's loopback stays out of reach). It tunnels CONNECT and forwards GET/HEAD of http:// sources to
/// the configured package indexes only, resolving names itself and connecting to the address it checked.
/// Inside, <see cref="ForwarderScript"/> relays 127.0.0.1:<see cref="SandboxPort"/> to the socket for pip/conda.
/// One instance per install: its limits (connections, idle time, bytes) hold for that install.
/// </summary>
public sealed class InstallNetworkProxy : IAsyncDisposable
{
    /// <summary>Where the proxy's directory (socket + forwarder) appears inside the sandbox.</summary>
    public const string SandboxDirectory = "/run/coderunner-net";
    public const string SocketName = "proxy.sock";
    public const string ForwarderName = "forward.py";
    /// <summary>The port the forwarder listens on, on the sandbox's own loopback.</summary>
    public const int SandboxPort = 3128;
    public static string SandboxProxyUrl => $"http://127.0.0.1:{SandboxPort}";

    private const int MaxHeadBytes = 16 * 1024;
    private static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(20);

    private readonly PackageIndexAllowlist allowlist;
    private readonly InstallNetworkLimits limits;
    private readonly Action<InstallNetworkRefusal> onRefused;
    private readonly ILogger logger;
    private readonly Socket listener;
    private readonly CancellationTokenSource stopping = new();
    private readonly List<InstallNetworkRefusal> refusals = [];
    private readonly HashSet<InstallNetworkRefusal> reported = [];
    private readonly Task acceptLoop;
    private int openConnections;
    private long totalBytes;
    private int byteLimitReported;

    private InstallNetworkProxy(string hostDirectory, Socket listener, PackageIndexAllowlist allowlist, InstallNetworkLimits limits,
        Action<InstallNetworkRefusal> onRefused, ILogger logger)
    {
        HostDirectory = hostDirectory;
        this.listener = listener;
        this.allowlist = allowlist;
        this.limits = limits;
        this.onRefused = onRefused;
        this.logger = logger;
        acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The host directory holding the socket and the forwarder; bound read-only at <see cref="SandboxDirectory"/>.</summary>
    public string HostDirectory { get; }

    public string SocketPath => Path.Combine(HostDirectory, SocketName);

    /// <summary>Bytes relayed in both directions so far.</summary>
    public long TotalBytes => Interlocked.Read(ref totalBytes);

    public IReadOnlyList<InstallNetworkRefusal> Refusals
    {
        get { lock (refusals) return [.. refusals]; }
    }

    /// <summary>
    /// Starts a proxy in a new directory under /run (root) or the temp dir, reachable by <paramref name="sandboxUid"/> only
    /// (its socket is chowned to it when given). <paramref name="onRefused"/> hears each refused destination once.
    /// </summary>
    public static InstallNetworkProxy Start(PackageIndexAllowlist allowlist, InstallNetworkLimits limits, int? sandboxUid, int? sandboxGid,
        Action<InstallNetworkRefusal> onRefused, ILogger logger)
    {
        var directory = CreateDirectory();
        Socket? listener = null;
        try
        {
            var forwarder = Path.Combine(directory, ForwarderName);
            File.WriteAllText(forwarder, ForwarderScript);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(forwarder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            var socketPath = Path.Combine(directory, SocketName);
            listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            if (sandboxUid is { } uid && NativeMethods.chown(socketPath, uid, sandboxGid ?? uid) != 0)
                throw new IOException($"cannot give the install proxy's socket to uid {uid}");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(64);
            return new InstallNetworkProxy(directory, listener, allowlist, limits, onRefused, logger);
        }
        catch
        {
            listener?.Dispose();
            TryDelete(directory);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Dispose();
        try { await acceptLoop; } catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException) { }
        stopping.Dispose();
        TryDelete(HostDirectory);
    }

    private async Task AcceptLoopAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var client = await listener.AcceptAsync(stopping.Token);
                connections.RemoveAll(task => task.IsCompleted);
                connections.Add(Task.Run(() => ServeAsync(client)));
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(Socket client)
    {
        using var _ = client;
        var open = Interlocked.Increment(ref openConnections);
        try
        {
            using var connection = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
            connection.CancelAfter(HeadTimeout);
            var head = await ReadHeadAsync(client, connection.Token);
            if (head is null) return;
            var request = ParseRequest(head.Value.Head);
            if (request is null)
            {
                await RefuseAsync(client, new InstallNetworkRefusal("(malformed request)", InstallNetworkRefusalReason.UnsupportedRequest), 400);
                return;
            }
            var destination = PackageIndexAllowlist.Format(request.Host, request.Port);
            if (open > limits.MaxConnections)
            {
                await RefuseAsync(client, new InstallNetworkRefusal(destination, InstallNetworkRefusalReason.ConnectionLimit), 503);
                return;
            }
            if (TotalBytes >= limits.MaxBytes)
            {
                ReportByteLimit();
                await RespondAsync(client, 503, "CodeRunner install proxy: this install reached its download limit");
                return;
            }
            var decision = await DecideAsync(request, connection.Token);
            if (decision.Refusal is { } refusal)
            {
                await RefuseAsync(client, refusal, 403);
                return;
            }
            using var upstream = await ConnectAsync(decision.Addresses, request.Port, connection.Token);
            if (upstream is null)
            {
                await RespondAsync(client, 502, $"CodeRunner install proxy: cannot connect to {destination}");
                return;
            }
            connection.CancelAfter(Timeout.InfiniteTimeSpan);
            if (request.IsConnect)
                await client.SendAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), SocketFlags.None, connection.Token);
            else
                await upstream.SendAsync(request.ForwardedHead!, SocketFlags.None, connection.Token);
            if (head.Value.Remainder.Length > 0) await upstream.SendAsync(head.Value.Remainder, SocketFlags.None, connection.Token);
            await RelayAsync(client, upstream, connection);
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Install proxy connection failed");
        }
        finally
        {
            Interlocked.Decrement(ref openConnections);
        }
    }

    private sealed record Decision(IReadOnlyList<IPAddress> Addresses, InstallNetworkRefusal? Refusal);

    /// <summary>The allowlist decides by name and port; then the name is resolved here and only acceptable addresses are kept.</summary>
    private async Task<Decision> DecideAsync(ProxyRequest request, CancellationToken cancellationToken)
    {
        var destination = PackageIndexAllowlist.Format(request.Host, request.Port);
        var entry = allowlist.Find(request.Host, request.Port);
        if (entry is null) return Refused(InstallNetworkRefusalReason.NotAllowed);
        if (!request.IsConnect && !entry.PlainHttp) return Refused(InstallNetworkRefusalReason.UnsupportedRequest);
        IPAddress[] resolved;
        try
        {
            resolved = IPAddress.TryParse(entry.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(entry.Host, cancellationToken);
        }
        catch (SocketException)
        {
            return Refused(InstallNetworkRefusalReason.Unresolvable);
        }
        var usable = resolved.Where(address => !PackageIndexAllowlist.IsNeverAllowed(address) && (entry.Configured || !NetworkAddresses.IsNonPublic(address))).ToList();
        if (usable.Count == 0)
            return Refused(resolved.Length == 0 ? InstallNetworkRefusalReason.Unresolvable : InstallNetworkRefusalReason.NonPublicAddress);
        return new Decision(usable, null);

        Decision Refused(InstallNetworkRefusalReason reason) => new([], new InstallNetworkRefusal(destination, reason));
    }

    private static async Task<Socket?> ConnectAsync(IReadOnlyList<IPAddress> addresses, int port, CancellationToken cancellationToken)
    {
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(ConnectTimeout);
                await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token);
                return socket;
            }
            catch (Exception exception) when (exception is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        return null;
    }

    /// <summary>Copies both ways until both sides finish; a side quiet for longer than the idle timeout ends the connection.</summary>
    private async Task RelayAsync(Socket client, Socket upstream, CancellationTokenSource connection)
    {
        var lastActivity = Environment.TickCount64;
        var toUpstream = PumpAsync(client, upstream);
        var toClient = PumpAsync(upstream, client);
        var both = Task.WhenAll(toUpstream, toClient);
        var idleMs = (long)limits.IdleTimeout.TotalMilliseconds;
        using var watch = CancellationTokenSource.CreateLinkedTokenSource(connection.Token);
        while (!both.IsCompleted)
        {
            var waitMs = Math.Max(50, idleMs - (Environment.TickCount64 - Interlocked.Read(ref lastActivity)));
            await Task.WhenAny(both, Task.Delay(TimeSpan.FromMilliseconds(Math.Min(waitMs, idleMs)), watch.Token));
            if (connection.IsCancellationRequested || Environment.TickCount64 - Interlocked.Read(ref lastActivity) >= idleMs)
            {
                await connection.CancelAsync();
                break;
            }
        }
        await watch.CancelAsync();
        try { await both; } catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException) { }

        async Task PumpAsync(Socket from, Socket to)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                while (true)
                {
                    var read = await from.ReceiveAsync(buffer, SocketFlags.None, connection.Token);
                    if (read == 0) break;
                    Interlocked.Exchange(ref lastActivity, Environment.TickCount64);
                    if (Interlocked.Add(ref totalBytes, read) > limits.MaxBytes)
                    {
                        ReportByteLimit();
                        await connection.CancelAsync();
                        break;
                    }
                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, connection.Token);
                }
                to.Shutdown(SocketShutdown.Send);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // One side broke: end the other too rather than wait for the idle timeout.
                await connection.CancelAsync();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private void ReportByteLimit()
    {
        if (Interlocked.Exchange(ref byteLimitReported, 1) == 1) return;
        Report(new InstallNetworkRefusal($"{limits.MaxBytes / (1024 * 1024)} MB", InstallNetworkRefusalReason.ByteLimit));
    }

    private async Task RefuseAsync(Socket client, InstallNetworkRefusal refusal, int status)
    {
        Report(refusal);
        await RespondAsync(client, status, "CodeRunner install proxy refused: " + refusal.Describe());
    }

    private void Report(InstallNetworkRefusal refusal)
    {
        logger.LogWarning("Install network refused: {Refusal}", refusal.Describe());
        bool first;
        lock (refusals)
        {
            refusals.Add(refusal);
            first = reported.Add(refusal);
        }
        if (first) onRefused(refusal);
    }

    private static async Task RespondAsync(Socket client, int status, string message)
    {
        var body = Encoding.UTF8.GetBytes(message + "\n");
        var phrase = status switch { 400 => "Bad Request", 403 => "Forbidden", 502 => "Bad Gateway", _ => "Service Unavailable" };
        var head = $"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await client.SendAsync(Encoding.ASCII.GetBytes(head).Concat(body).ToArray(), SocketFlags.None, timeout.Token);
        client.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Reads up to the blank line that ends the request head (at most 16 KB); the bytes after it belong to the body or the tunnel.</summary>
    private static async Task<(byte[] Head, byte[] Remainder)?> ReadHeadAsync(Socket client, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHeadBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken);
            if (read == 0) return null;
            var searchFrom = Math.Max(0, length - 3);
            length += read;
            var end = buffer.AsSpan(searchFrom, length - searchFrom).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                var headLength = searchFrom + end + 4;
                return (buffer[..headLength], buffer[headLength..length]);
            }
        }
        return null;
    }

    /// <summary>A parsed request head: CONNECT host:port, or GET/HEAD of an absolute http:// URL (rewritten for the origin server).</summary>
    public sealed record ProxyRequest(bool IsConnect, string Host, int Port, byte[]? ForwardedHead);

    private static readonly string[] DroppedHeaders = ["proxy-connection", "proxy-authorization", "connection", "keep-alive"];

    public static ProxyRequest? ParseRequest(byte[] head)
    {
        var lines = Encoding.Latin1.GetString(head).Split("\r\n");
        var parts = lines[0].Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal)) return null;
        var (method, target) = (parts[0], parts[1]);
        if (method == "CONNECT")
        {
            var colon = target.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(target[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
                || port is < 1 or > 65535) return null;
            return new ProxyRequest(true, target[..colon].Trim('[', ']'), port, null);
        }
        if (method is not ("GET" or "HEAD")) return null;
        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.Scheme != "http" || uri.IdnHost.Length == 0 || uri.UserInfo.Length > 0) return null;
        var forwarded = new StringBuilder($"{method} {uri.PathAndQuery} HTTP/1.1\r\n");
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var name = line.Split(':', 2)[0].Trim().ToLowerInvariant();
            if (!DroppedHeaders.Contains(name)) forwarded.Append(line).Append("\r\n");
        }
        // One request per connection: the next request may name another host and must be checked again.
        forwarded.Append("Connection: close\r\n\r\n");
        return new ProxyRequest(false, uri.IdnHost.Trim('[', ']'), uri.Port, Encoding.Latin1.GetBytes(forwarded.ToString()));
    }

    private static string CreateDirectory()
    {
        var parent = NativeMethods.geteuid() == 0 && Directory.Exists("/run") ? "/run/coderunner-net" : Path.Combine(Path.GetTempPath(), "coderunner-net-" + NativeMethods.geteuid());
        Directory.CreateDirectory(parent);
        // Search-only for others: the sandbox user passes through to its own unguessable directory, nobody can list the others.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(parent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var directory = Path.Combine(parent, Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant());
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        return directory;
    }

    private static void TryDelete(string directory)
    {
        try { Directory.Delete(directory, recursive: true); } catch (Exception exception) when (exception is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Runs inside the sandbox, in front of the tool: listens on the sandbox's own 127.0.0.1:port and relays each
    /// connection to the proxy's Unix socket (pip and conda only speak TCP to a proxy), then runs the tool and exits with its status.
    /// </summary>
    public static string ForwarderScript { get; } = ReadForwarderScript();

    private static string ReadForwarderScript()
    {
        using var stream = typeof(InstallNetworkProxy).Assembly.GetManifestResourceStream("CodeRunner.Sandbox.Isolation.install_network_forwarder.py")
            ?? throw new InvalidOperationException("the install network forwarder script is not embedded");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
