using CodeRunner.Core.Common;
using Serilog;
using Serilog.Events;

namespace CodeRunner.Web.Hosting;

public static class LoggingSetup
{
    /// <summary>Serilog to the console and to rolling files in data/logs (settings under "Serilog").</summary>
    public static WebApplicationBuilder AddCodeRunnerLogging(this WebApplicationBuilder builder)
    {
        var logs = Path.Combine(DataDirectory.Resolve(builder.Configuration["DataDirectory"]), "logs");
        var logger = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.EntityFrameworkCore", LogEventLevel.Warning)
            // BootstrapBlazor logs every resource lookup it falls back on at Information.
            .MinimumLevel.Override("BootstrapBlazor", LogEventLevel.Warning)
            .MinimumLevel.Override("BootstrapBlazor.Components.JsonStringLocalizer", LogEventLevel.Warning)
            // It warns about every file of wwwroot-assets/, which UseStaticFiles serves (and publish copies) on purpose.
            .MinimumLevel.Override("Microsoft.AspNetCore.Builder.StaticAssetDevelopmentRuntimeHandler", LogEventLevel.Error)
            .ReadFrom.Configuration(builder.Configuration)
            .Enrich.FromLogContext()
            .WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}")
            .WriteTo.File(Path.Combine(logs, "coderunner-.log"), rollingInterval: RollingInterval.Day, retainedFileCountLimit: 14,
                outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: true);
        return builder;
    }
}
