using CodeRunner.Core;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Execution;
// The one Web file that names the Sandbox project: it composes the app (AddCodeRunnerSandbox); pages and the API see Core only.
using CodeRunner.Sandbox;
using CodeRunner.Web.Admin;
using CodeRunner.Web.Api;
using CodeRunner.Web.Community;
using CodeRunner.Web.Components;
using CodeRunner.Web.Execution;
using CodeRunner.Web.Hosting;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    WebRootPath = WebRoot.Locate(),
});
builder.Configuration.AddEnvironmentVariables(prefix: "CODERUNNER_");
builder.WebHost.UseStaticWebAssets();    // _content/* of MudBlazor and Monaco when run from the build output

// The sandbox keeps runs and environments in the data dir unless configured otherwise.
var dataDirectory = DataDirectory.Resolve(builder.Configuration["DataDirectory"]);
builder.Configuration["Sandbox:RunsDirectory"] ??= Path.Combine(dataDirectory, "runs");
builder.Configuration["Sandbox:EnvironmentsDirectory"] ??= Path.Combine(dataDirectory, "envs");

builder.AddCodeRunnerLogging();                                   // Serilog: console + data/logs
builder.Services.AddCodeRunnerCore(builder.Configuration);        // EF Core, Identity, domain services
builder.Services.AddCodeRunnerSandbox(builder.Configuration);     // runner, isolation, environments
builder.Services.AddHostedService<SandboxWarmup>();               // probe the sandbox at start (its mode is logged then)
builder.Services.AddCodeRunnerWeb();                              // components, localization, auth
builder.Services.AddCodeRunnerApi(builder.Configuration);         // API keys auth, rate limit, OpenAPI
builder.Services.AddCodeRunnerSecurity(builder.Configuration);    // sessions, sign-in throttling, proxies, HSTS
builder.Services.AddCodeRunnerAdminWeb();                         // open-circuit count for the admin system page

var app = builder.Build();
await app.Services.InitializeDatabaseAsync();                     // migrate, recover, first admin

app.UseCodeRunnerPipeline();
app.MapCodeRunnerApi();                                           // /health, /api/v1/*
app.MapRunArtifacts();                                            // /runs/{id}/artifacts/* for the run page
app.MapCommunityEndpoints();                                      // /avatars/* (public)
app.MapAdminDownloads();                                          // backup downloads, audit CSV exports
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();

public partial class Program;
