using CodeRunner.Core.Admin;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CodeRunner.Web.Admin;

/// <summary>Counts open Blazor circuits for the admin system page (the number lives in Core's <see cref="OpenCircuitCounter"/>).</summary>
public sealed class CircuitCountingHandler(OpenCircuitCounter counter) : CircuitHandler
{
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        counter.Opened();
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        counter.Closed();
        return Task.CompletedTask;
    }
}

public static class AdminWebServices
{
    /// <summary>Web-side pieces of the admin console: the circuit counter.</summary>
    public static IServiceCollection AddCodeRunnerAdminWeb(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Scoped<CircuitHandler, CircuitCountingHandler>());
        return services;
    }
}
