using System.Net.Sockets;
using System.Text;
using CodeRunner.Sandbox;
using CodeRunner.Sandbox.Environments;
using CodeRunner.Sandbox.Isolation;
using CodeRunner.Sandbox.Processes;
using CodeRunner.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CodeRunner.Tests.Sandbox;

/// <summary>
/// Installs reach the network only through the host-side proxy, and only the configured package indexes:
/// the sandbox keeps its own empty network namespace, so nothing on the host's loopback (the app, a database)
/// is reachable, and a local index is reachable only because it is the configured one. Real bwrap, real pip,
/// a real HTTP index on the host (PyPI is unreachable here), ports that count who connects.
/// </summary>
public sealed class InstallNetworkTests(VenvFixture venv) : IClassFixture<VenvFixture>, IDisposable
{
    private readonly List<IDisposable> cleanup = [];

    [Fact]
    public async Task Install_sandbox_reaches_the_configured_index_and_nothing_else_on_the_host()
    {
        venv.Sandbox.RequireBubblewrap();
        var index = StartIndex();
        var otherServer = Trap();
        var appPort = Trap();
        var refusals = new List<InstallNetworkRefusal>();
        var tools = venv.Sandbox.Runner.Tools;
        Assert.True(tools.UsesProxy, "installs use the proxy by default");

        await using var network = tools.OpenNetwork(PackageIndexAllowlist.ForPip(new PackageSources { PipIndexUrl = index.SimpleUrl }), refusals.Add);
        Assert.NotNull(network);
        var output = await RunInInstallSandboxAsync(tools, network, $$"""
            import socket, urllib.request, urllib.error
            def get(url):
                try:
                    return str(urllib.request.urlopen(url, timeout=15).status)
                except urllib.error.HTTPError as error:
                    return str(error.code)
                except Exception as error:
                    return type(error).__name__
            def tunnel(host, port):
                s = socket.create_connection(('127.0.0.1', {{InstallNetworkProxy.SandboxPort}}), timeout=15)
                s.sendall(f'CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n'.encode())
                return s.recv(200).split(b'\r\n')[0].decode().split(' ')[1]
            def direct(port):
                try:
                    socket.create_connection(('127.0.0.1', port), timeout=5)
                    return 'open'
                except OSError:
                    return 'unreachable'
            print('index', get('{{index.SimpleUrl}}'))
            print('index-tunnel', tunnel('127.0.0.1', {{index.Port}}))
            print('other-server', get('http://127.0.0.1:{{otherServer.Port}}/simple/'))
            print('other-tunnel', tunnel('127.0.0.1', {{otherServer.Port}}))
            print('app', tunnel('127.0.0.1', {{appPort.Port}}))
            print('app-by-name', tunnel('localhost', {{appPort.Port}}))
            print('outside', tunnel('example.com', 443))
            print('direct-index', direct({{index.Port}}))
            """);

        Assert.Contains("index 200", output);
        Assert.Contains("index-tunnel 200", output);
        Assert.Contains("other-server 403", output);
        Assert.Contains("other-tunnel 403", output);
        Assert.Contains("app 403", output);
        Assert.Contains("app-by-name 403", output);
        Assert.Contains("outside 403", output);
        Assert.Contains("direct-index unreachable", output);
        Assert.Equal(0, otherServer.Accepted);
        Assert.Equal(0, appPort.Accepted);
        Assert.Contains(new InstallNetworkRefusal($"127.0.0.1:{appPort.Port}", InstallNetworkRefusalReason.NotAllowed), refusals);
        Assert.Contains(new InstallNetworkRefusal("example.com:443", InstallNetworkRefusalReason.NotAllowed), refusals);
    }

    [Fact]
    public async Task The_running_apps_own_port_is_refused_while_the_app_answers_on_the_host()
    {
        venv.Sandbox.RequireBubblewrap();
        await using var app = new CodeRunnerAppFactory();
        app.UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
        app.StartServer();
        var appUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var http = new HttpClient();
        Assert.True((await http.GetAsync(new Uri(appUrl, "/health"))).IsSuccessStatusCode, "the app answers on the host's loopback");
        var index = StartIndex();
        var refusals = new List<InstallNetworkRefusal>();
        var tools = app.Services.GetRequiredService<CodeRunner.Sandbox.Execution.SandboxCodeRunner>().Tools;

        await using var network = tools.OpenNetwork(PackageIndexAllowlist.ForPip(new PackageSources { PipIndexUrl = index.SimpleUrl }), refusals.Add);
        var output = await RunInInstallSandboxAsync(tools, network!, $$"""
            import urllib.request, urllib.error
            try:
                print('health', urllib.request.urlopen('http://127.0.0.1:{{appUrl.Port}}/health', timeout=15).status)
            except urllib.error.HTTPError as error:
                print('health', error.code)
            """);

        Assert.Equal("health 403\n", output);
        Assert.Equal([new InstallNetworkRefusal($"127.0.0.1:{appUrl.Port}", InstallNetworkRefusalReason.NotAllowed)], refusals);
    }

    [Fact]
    public async Task Pip_installs_a_wheel_from_the_configured_index_through_the_proxy()
    {
        venv.Sandbox.RequireBubblewrap();
        var index = StartIndex();
        var built = WheelBuilder.Build(Path.Combine(index.Root, "build"), "coderunner-proxied", "2.0.0", "def answer():\n    return 'via proxy'\n");
        index.AddToProject("coderunner-proxied", built);
        var sources = new PackageSources { PipIndexUrl = index.SimpleUrl };
        var log = new List<EnvironmentLogLine>();

        await foreach (var line in venv.Manager.InstallAsync(VenvFixture.EnvironmentName, ["coderunner-proxied"], sources, CancellationToken.None)) log.Add(line);

        var packages = await venv.Manager.ListPackagesAsync(VenvFixture.EnvironmentName, CancellationToken.None);
        Assert.Contains(new InstalledPackage("coderunner-proxied", "2.0.0"), packages);
        Assert.Contains(log, line => line.Text.Contains("forward.py") && line.Text.Contains("--index-url"));
        Assert.DoesNotContain(log, line => line.Notice is not null);
        var run = await venv.Sandbox.RunAsync(venv.Sandbox.Request("import coderunner_proxied\nprint(coderunner_proxied.answer())",
            interpreter: venv.Manager.GetInterpreterPath(VenvFixture.EnvironmentName), prefix: venv.Manager.GetPrefix(VenvFixture.EnvironmentName)));
        Assert.Equal("via proxy\n", run.Stdout);
    }

    [Fact]
    public async Task An_index_that_links_to_another_host_fails_the_install_and_the_refusal_is_in_the_install_log()
    {
        venv.Sandbox.RequireBubblewrap();
        var index = StartIndex();
        var elsewhere = Trap();
        var project = Path.Combine(index.Root, "simple", "coderunner-elsewhere");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "index.html"),
            $"<html><body><a href=\"http://127.0.0.1:{elsewhere.Port}/coderunner_elsewhere-1.0.0-py3-none-any.whl\">coderunner_elsewhere-1.0.0-py3-none-any.whl</a></body></html>");
        var log = new List<EnvironmentLogLine>();

        await Assert.ThrowsAsync<EnvironmentOperationException>(async () =>
        {
            await foreach (var line in venv.Manager.InstallAsync(VenvFixture.EnvironmentName, ["coderunner-elsewhere"], new PackageSources { PipIndexUrl = index.SimpleUrl }, CancellationToken.None))
                log.Add(line);
        });

        var notice = Assert.Single(log, line => line.Notice is not null).Notice!;
        Assert.Equal("InstallNetworkRefused_NotAllowed", notice.Key);
        Assert.Equal([$"127.0.0.1:{elsewhere.Port}"], notice.Arguments);
        Assert.Equal(0, elsewhere.Accepted);
        Assert.DoesNotContain(await venv.Manager.ListPackagesAsync(VenvFixture.EnvironmentName, CancellationToken.None), p => p.Name == "coderunner-elsewhere");
    }

    [Fact]
    public async Task A_default_index_that_resolves_to_loopback_is_refused_but_the_same_host_configured_by_the_admin_is_not()
    {
        var index = StartIndex();
        var implicitEntry = new PackageIndexAllowlist([new AllowedDestination("127.0.0.1", index.Port, PlainHttp: true, Configured: false)]);
        var configured = new PackageIndexAllowlist([new AllowedDestination("127.0.0.1", index.Port, PlainHttp: true, Configured: true)]);
        var refusals = new List<InstallNetworkRefusal>();

        string refusedStatus, allowedStatus;
        await using (var proxy = StartProxy(implicitEntry, refusals.Add))
            refusedStatus = await RequestThroughSocketAsync(proxy, $"GET {index.SimpleUrl} HTTP/1.1\r\nHost: 127.0.0.1:{index.Port}\r\n\r\n");
        await using (var proxy = StartProxy(configured, refusals.Add))
            allowedStatus = await RequestThroughSocketAsync(proxy, $"GET {index.SimpleUrl} HTTP/1.1\r\nHost: 127.0.0.1:{index.Port}\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 403", refusedStatus);
        Assert.StartsWith("HTTP/1.0 200", allowedStatus);
        Assert.Equal([new InstallNetworkRefusal($"127.0.0.1:{index.Port}", InstallNetworkRefusalReason.NonPublicAddress)], refusals);
    }

    [Fact]
    public async Task The_proxy_stops_at_the_byte_limit_and_closes_an_idle_tunnel()
    {
        var index = StartIndex();
        File.WriteAllBytes(Path.Combine(index.Root, "big.bin"), new byte[3 * 1024 * 1024]);
        var silent = Trap();
        var allowlist = new PackageIndexAllowlist([
            new AllowedDestination("127.0.0.1", index.Port, PlainHttp: true, Configured: true),
            new AllowedDestination("127.0.0.1", silent.Port, PlainHttp: false, Configured: true)]);
        var refusals = new List<InstallNetworkRefusal>();
        await using var proxy = StartProxy(allowlist, refusals.Add, new InstallNetworkLimits(MaxConnections: 4, IdleTimeout: TimeSpan.FromSeconds(1), MaxBytes: 1024 * 1024));

        var received = await ReadAllThroughSocketAsync(proxy, $"GET {index.BaseUrl}/big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
        var afterLimit = await RequestThroughSocketAsync(proxy, $"GET {index.BaseUrl}/big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
        var tunnel = await ReadAllThroughSocketAsync(proxy, $"CONNECT 127.0.0.1:{silent.Port} HTTP/1.1\r\n\r\n");

        Assert.InRange(received, 1, 1024 * 1024 + 64 * 1024);
        Assert.StartsWith("HTTP/1.1 503", afterLimit);
        Assert.Contains(refusals, r => r.Reason == InstallNetworkRefusalReason.ByteLimit);
        Assert.True(tunnel > 0, "the tunnel ended (idle timeout) after its 200 response");
    }

    [Fact]
    public void The_allowlist_holds_exactly_the_configured_sources()
    {
        var pip = PackageIndexAllowlist.ForPip(new PackageSources
        {
            PipIndexUrl = "https://user:secret@mirrors.example.cn/pypi/simple",
            PipExtraIndexUrls = ["http://10.0.0.5:8080/simple"],
            FindLinks = ["/srv/wheels", "https://wheels.example.org/"],
        }, ["cdn.example.net", "files.example.net:8443"]);
        var pypi = PackageIndexAllowlist.ForPip(new PackageSources());
        var offline = PackageIndexAllowlist.ForPip(new PackageSources { NoIndex = true, FindLinks = ["/srv/wheels"] });
        var conda = PackageIndexAllowlist.ForConda(new PackageSources { CondaChannels = ["https://mirrors.example.cn/anaconda/cloud/conda-forge"] });

        Assert.Equal(["10.0.0.5:8080", "cdn.example.net:443", "files.example.net:8443", "mirrors.example.cn:443", "wheels.example.org:443"],
            pip.Destinations.Select(d => d.ToString()).Order(StringComparer.Ordinal));
        Assert.True(pip.Find("10.0.0.5", 8080)!.PlainHttp);
        Assert.Null(pip.Find("10.0.0.5", 80));
        Assert.Null(pip.Find("MIRRORS.example.cn", 80));
        Assert.NotNull(pip.Find("MIRRORS.example.cn.", 443));
        Assert.All(pip.Destinations, d => Assert.True(d.Configured));
        Assert.Equal(["pypi.org:443", "files.pythonhosted.org:443"], pypi.Destinations.Select(d => d.ToString()));
        Assert.All(pypi.Destinations, d => Assert.False(d.Configured));
        Assert.True(offline.IsEmpty);
        Assert.Equal(["mirrors.example.cn:443"], conda.Destinations.Select(d => d.ToString()));
        Assert.Equal(["conda.anaconda.org:443", "repo.anaconda.com:443"], PackageIndexAllowlist.ForConda(new PackageSources { CondaChannels = ["conda-forge"] }).Destinations.Select(d => d.ToString()));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.20.0.1", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("151.101.0.223", false)]
    [InlineData("8.8.8.8", false)]
    [InlineData("172.32.0.1", false)]
    [InlineData("2a04:4e42::223", false)]
    public void Non_public_addresses_are_recognized(string address, bool nonPublic) =>
        Assert.Equal(nonPublic, NetworkAddresses.IsNonPublic(System.Net.IPAddress.Parse(address)));

    [Fact]
    public void Only_CONNECT_and_GET_or_HEAD_of_absolute_http_urls_are_parsed_and_forwarded_one_request_per_connection()
    {
        var connect = InstallNetworkProxy.ParseRequest(Encoding.ASCII.GetBytes("CONNECT pypi.org:443 HTTP/1.1\r\nHost: pypi.org:443\r\n\r\n"))!;
        var get = InstallNetworkProxy.ParseRequest(Encoding.ASCII.GetBytes("GET http://mirror.lan:8080/simple/x/ HTTP/1.1\r\nHost: mirror.lan:8080\r\nProxy-Connection: keep-alive\r\nConnection: keep-alive\r\n\r\n"))!;

        Assert.Equal((true, "pypi.org", 443), (connect.IsConnect, connect.Host, connect.Port));
        Assert.Equal("::1", InstallNetworkProxy.ParseRequest(Encoding.ASCII.GetBytes("CONNECT [::1]:8080 HTTP/1.1\r\n\r\n"))!.Host);
        Assert.Equal((false, "mirror.lan", 8080), (get.IsConnect, get.Host, get.Port));
        Assert.Equal("GET /simple/x/ HTTP/1.1\r\nHost: mirror.lan:8080\r\nConnection: close\r\n\r\n", Encoding.ASCII.GetString(get.ForwardedHead!));
        Assert.Null(InstallNetworkProxy.ParseRequest(Encoding.ASCII.GetBytes("POST http://mirror.lan/ HTTP/1.1\r\n\r\n")));
        Assert.Null(InstallNetworkProxy.ParseRequest(Encoding.ASCII.GetBytes("GET /relative HTTP/1.1\r\n\r\n")));
        Assert.Null(InstallNetworkProxy.ParseRequest(Encoding.ASCII.GetBytes("GET https://mirror.lan/ HTTP/1.1\r\n\r\n")));
        Assert.Null(InstallNetworkProxy.ParseRequest(Encoding.ASCII.GetBytes("CONNECT pypi.org:99999 HTTP/1.1\r\n\r\n")));
    }

    [Fact]
    public void Proxy_mode_binds_the_proxy_directory_and_keeps_the_sandbox_network_namespace()
    {
        var launch = new SandboxLaunch(null, "/usr/bin/python3", [], SandboxFixture.ShortLimits, []) { ProxyDirectory = "/run/coderunner-net/abc" };

        var arguments = BubblewrapIsolation.BubblewrapArguments(launch);

        Assert.DoesNotContain("--share-net", arguments);
        Assert.Contains("--unshare-all", arguments);
        var bind = arguments.ToList().IndexOf("/run/coderunner-net/abc");
        Assert.Equal(["--ro-bind", "/run/coderunner-net/abc", InstallNetworkProxy.SandboxDirectory], arguments.Skip(bind - 1).Take(3));
        Assert.Equal(InstallNetworkModes.Proxy, new SandboxOptions().InstallNetwork);
    }

    private LocalIndexServer StartIndex()
    {
        var root = Path.Combine(venv.Sandbox.DataDirectory, "..", "index-" + Guid.NewGuid().ToString("N")[..8]);
        var server = LocalIndexServer.Start(root);
        cleanup.Add(server);
        return server;
    }

    private ConnectionTrap Trap()
    {
        var trap = new ConnectionTrap();
        cleanup.Add(trap);
        return trap;
    }

    private static InstallNetworkProxy StartProxy(PackageIndexAllowlist allowlist, Action<InstallNetworkRefusal> onRefused, InstallNetworkLimits? limits = null) =>
        InstallNetworkProxy.Start(allowlist, limits ?? InstallNetworkLimits.From(new SandboxOptions()), null, null, onRefused, NullLogger.Instance);

    /// <summary>A python program run exactly like pip in an install (same sandbox, same forwarder in front); returns its stdout.</summary>
    private async Task<string> RunInInstallSandboxAsync(SandboxedTool tools, InstallNetworkProxy network, string script)
    {
        var scratch = Path.Combine(venv.Sandbox.DataDirectory, "..", "tool-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(scratch);
        var command = await tools.CommandAsync(venv.Sandbox.Runner.BaseInterpreter.Path, ["-c", script], [scratch], [], null, CancellationToken.None, network);
        var result = await CommandRunner.ExecuteBufferedAsync(command);
        Assert.True(result.Status.Succeeded, result.StandardOutput + result.StandardError);
        return result.StandardOutput;
    }

    private static async Task<Socket> ConnectAsync(InstallNetworkProxy proxy, string head)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(proxy.SocketPath));
        await socket.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None);
        return socket;
    }

    /// <summary>The status line of the proxy's answer.</summary>
    private static async Task<string> RequestThroughSocketAsync(InstallNetworkProxy proxy, string head)
    {
        using var socket = await ConnectAsync(proxy, head);
        var buffer = new byte[4096];
        var read = await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(30));
        return Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0];
    }

    /// <summary>Bytes received until the proxy closes the connection.</summary>
    private static async Task<long> ReadAllThroughSocketAsync(InstallNetworkProxy proxy, string head)
    {
        using var socket = await ConnectAsync(proxy, head);
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(60))) > 0) total += read;
        return total;
    }

    public void Dispose()
    {
        foreach (var item in cleanup) item.Dispose();
    }
}
