using CodeRunner.Core.Accounts;
using CodeRunner.Core.Common;
using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;

namespace CodeRunner.Web.Accounts;

public static class AccountEndpoints
{
    public const string MustChangePasswordPath = "/account/change-password";

    /// <summary>Sign-out (a POST form with antiforgery) and the language switch.</summary>
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/account/logout", async (HttpContext context, AccountService accounts, [FromForm] string? returnUrl) =>
        {
            await accounts.SignOutAsync(UserRef.FromPrincipal(context.User));
            return Results.LocalRedirect(IdentityRedirectManager.SafeLocalUrl(returnUrl ?? "/account/login"));
        }).ExcludeFromDescription();

        endpoints.MapGet("/culture/set", async (HttpContext context, AccountService accounts, string culture, string? returnUrl) =>
        {
            if (!AccountService.SupportedCultures.Contains(culture))
                return Results.Problem(statusCode: 400, title: "Unsupported culture", detail: culture);
            context.Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
                new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, HttpOnly = false, SameSite = SameSiteMode.Lax });
            var actor = UserRef.FromPrincipal(context.User);
            if (actor is not null) await accounts.SetCultureAsync(actor, culture);
            return Results.LocalRedirect(IdentityRedirectManager.SafeLocalUrl(returnUrl));
        }).ExcludeFromDescription();
        return endpoints;
    }

    /// <summary>Sends a user who must change the password (the first-run admin) to that page before anything else.</summary>
    public static IApplicationBuilder UseMustChangePassword(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var path = context.Request.Path;
        if (context.User.HasClaim(c => c.Type == CodeRunnerClaimsFactory.MustChangePasswordClaim)
            && HttpMethods.IsGet(context.Request.Method)
            && !path.StartsWithSegments("/account") && !path.StartsWithSegments("/_framework")
            && !path.StartsWithSegments("/_content") && !path.StartsWithSegments("/_blazor")
            && !path.StartsWithSegments("/culture") && !path.StartsWithSegments("/health")
            && !Path.HasExtension(path.Value))
        {
            context.Response.Redirect(MustChangePasswordPath);
            return;
        }
        await next();
    });
}
