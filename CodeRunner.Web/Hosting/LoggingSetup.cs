using CodeRunner.Core.Common;
using Serilog;
using Serilog.Events;

namespace CodeRunner.Web.Hosting;

public static class LoggingSetup
{
    /// <summary>Serilog (Serilog.AspNetCore) to the console and to rolling files in data/logs (settings under "Serilog").</summary>
    public static WebApplicationBuilder AddCodeRunnerLogging(this WebApplicationBuilder builder)
    {
        var logs = Path.Combine(DataDirectory.Resolve(builder.Configuration["DataDirectory"]), "logs");
        // preserveStaticLogger: each host (tests start several in one process) owns its logger; nothing reads Log.Logger.
        builder.Services.AddSerilog((services, logger) => logger
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.EntityFrameworkCore", LogEventLevel.Warning)
            // It warns about every file of wwwroot-assets/, which UseStaticFiles serves (and publish copies) on purpose.
            .MinimumLevel.Override("Microsoft.AspNetCore.Builder.StaticAssetDevelopmentRuntimeHandler", LogEventLevel.Error)
            .ReadFrom.Configuration(builder.Configuration)
            .ReadFrom.Services(services)
            .Enrich.FromLogContext()
            .WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}")
            .WriteTo.File(Path.Combine(logs, "coderunner-.log"), rollingInterval: RollingInterval.Day, retainedFileCountLimit: 14,
                outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}"),
            preserveStaticLogger: true);
        return builder;
    }

    /// <summary>One line per request: method, path, status, elapsed and the signed-in user. Static files, the
    /// Blazor circuit and health probes only at Debug, so the log shows what people did, not every asset.</summary>
    public static IApplicationBuilder UseCodeRunnerRequestLogging(this IApplicationBuilder app) => app.UseSerilogRequestLogging(options =>
    {
        // This host's logger (AddSerilog above preserves the static Log.Logger, which the middleware would use otherwise).
        options.Logger = app.ApplicationServices.GetRequiredService<Serilog.ILogger>();
        options.MessageTemplate = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms for {UserName}";
        options.EnrichDiagnosticContext = (diagnostics, context) =>
            diagnostics.Set("UserName", context.User.Identity?.IsAuthenticated == true ? context.User.Identity.Name : "(anonymous)");
        options.GetLevel = (context, _, exception) =>
            exception is not null || context.Response.StatusCode >= 500 ? LogEventLevel.Error
            : IsNoise(context.Request.Path) ? LogEventLevel.Debug
            : LogEventLevel.Information;
    });

    private static readonly string[] NoisePrefixes = ["/_framework", "/_content", "/_blazor", "/css", "/js", "/img", "/health"];

    private static bool IsNoise(PathString path) =>
        NoisePrefixes.Any(prefix => path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase))
        || Path.HasExtension(path.Value);
}
