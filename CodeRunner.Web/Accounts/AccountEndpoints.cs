using CodeRunner.Core.Accounts;
using CodeRunner.Core.Common;
using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;

namespace CodeRunner.Web.Accounts;

public static class AccountEndpoints
{
    public const string MustChangePasswordPath = "/account/change-password";
    public const string CulturePath = "/culture/set";

    /// <summary>Sign-out (a POST form with antiforgery) and the language switch.</summary>
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/account/logout", async (HttpContext context, AccountService accounts, [FromForm] string? returnUrl) =>
        {
            await accounts.SignOutAsync(UserRef.FromPrincipal(context.User));
            return Results.LocalRedirect(IdentityRedirectManager.SafeLocalUrl(returnUrl ?? "/account/login"));
        }).ExcludeFromDescription();

        // A link (GET) only switches this browser's language: a cross-site link must not change the stored profile.
        endpoints.MapGet(CulturePath, (HttpContext context, string culture, string? returnUrl) =>
        {
            if (!AccountService.SupportedCultures.Contains(culture))
                return Results.Problem(statusCode: 400, title: "Unsupported culture", detail: culture);
            AppendCultureCookie(context, culture);
            return Results.LocalRedirect(IdentityRedirectManager.SafeLocalUrl(returnUrl));
        }).ExcludeFromDescription();

        // A form post (antiforgery-checked because it binds a form) also remembers the choice on the signed-in user's profile.
        endpoints.MapPost(CulturePath, async (HttpContext context, AccountService accounts, [FromForm] string culture, [FromForm] string? returnUrl) =>
        {
            if (!AccountService.SupportedCultures.Contains(culture))
                return Results.Problem(statusCode: 400, title: "Unsupported culture", detail: culture);
            AppendCultureCookie(context, culture);
            if (UserRef.FromPrincipal(context.User) is { } actor) await accounts.SetCultureAsync(actor, culture);
            return Results.LocalRedirect(IdentityRedirectManager.SafeLocalUrl(returnUrl));
        }).ExcludeFromDescription();
        return endpoints;
    }

    public static void AppendCultureCookie(HttpContext context, string culture) =>
        context.Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
            CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
            new CookieOptions
            {
                Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, HttpOnly = false, SameSite = SameSiteMode.Lax,
                Secure = context.Request.IsHttps,
            });
}
