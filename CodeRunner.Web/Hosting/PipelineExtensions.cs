using CodeRunner.Web.Accounts;

namespace CodeRunner.Web.Hosting;

public static class PipelineExtensions
{
    public static WebApplication UseCodeRunnerPipeline(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }
        app.UseCodeRunnerRequestLogging();      // Serilog: one line per request (after the exception handler, so 500s are logged with their status)
        app.UseSecurityHeaders();
        app.UseRequestLocalization();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.UseMustChangePassword();

        app.MapStaticAssets();
        app.MapAccountEndpoints();
        return app;
    }
}
