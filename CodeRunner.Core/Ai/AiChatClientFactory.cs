using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Sockets;
using CodeRunner.Sandbox.Isolation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using OpenAI;

namespace CodeRunner.Core.Ai;

/// <summary>A provider ready to be called: its row's settings with the key decrypted (lives only for one request).</summary>
public sealed record ResolvedProvider(int ConfigId, AiProviderKind Kind, string Model, Uri BaseUrl, string? ApiKey, double Temperature, int MaxTokens, bool IsTeamDefault);

/// <summary>A chat service for one request, and the handler that saw its wire traffic.</summary>
public sealed record AiChat(IChatCompletionService Service, WireCompatibilityHandler Wire);

/// <summary>
/// Builds Semantic Kernel chat services for a provider: SK's OpenAI connector pointed at the provider's base URL,
/// over one shared connection pool with the per-kind <see cref="WireCompatibilityHandler"/> in front.
/// </summary>
public sealed class AiChatClientFactory : IDisposable
{
    private readonly SocketsHttpHandler connections;
    private readonly ILoggerFactory loggerFactory;

    public AiChatClientFactory(IOptions<AiOptions> options, ILoggerFactory loggerFactory)
    {
        this.loggerFactory = loggerFactory;
        var allowPrivate = options.Value.AllowPrivateNetwork;
        connections = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(Math.Max(1, options.Value.TestTimeoutSeconds)),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AllowAutoRedirect = false,
            // The address is checked after DNS, on the socket actually connected, so a name cannot resolve around the rule.
            ConnectCallback = (context, cancellationToken) => ConnectAsync(context, allowPrivate, cancellationToken),
        };
    }

    public AiChat Create(ResolvedProvider provider)
    {
        var wire = new WireCompatibilityHandler(provider.Kind.Wire, provider.ApiKey is not null) { InnerHandler = connections };
        var http = new HttpClient(wire, disposeHandler: false)
        {
            // Timeouts are enforced per token by the caller (first token, then idle gaps); a streamed answer may take minutes.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var client = new OpenAIClient(new ApiKeyCredential(provider.ApiKey ?? "no-key"), new OpenAIClientOptions
        {
            Endpoint = provider.BaseUrl,
            Transport = new HttpClientPipelineTransport(http),
            // A failed request is reported at once (the user retries); hidden retries would multiply a 429 and the quota.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = Timeout.InfiniteTimeSpan,
        });
        // The OpenAI client insists on a credential; the handler drops the header when there is no key.
        return new AiChat(new OpenAIChatCompletionService(provider.Model, client, loggerFactory), wire);
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivate, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(context.DnsEndPoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
        if (!allowPrivate && addresses.Any(NetworkAddresses.IsNonPublic))
            throw new PrivateEndpointBlockedException(context.DnsEndPoint.Host);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => connections.Dispose();
}

/// <summary>The provider URL resolves to a private address and <see cref="AiOptions.AllowPrivateNetwork"/> is off.</summary>
public sealed class PrivateEndpointBlockedException(string host) : IOException($"{host} resolves to a private or loopback address, which Ai:AllowPrivateNetwork does not allow.");
