using Microsoft.AspNetCore.Components;

namespace CodeRunner.Web.Accounts;

/// <summary>Redirects from static account pages, refusing open redirects to other sites.</summary>
internal sealed class IdentityRedirectManager(NavigationManager navigationManager)
{
    public void RedirectTo(string? uri)
    {
        navigationManager.NavigateTo(SafeLocalUrl(uri));
    }

    public static string SafeLocalUrl(string? uri)
    {
        if (string.IsNullOrEmpty(uri)) return "/";
        var isLocal = uri.StartsWith('/') && !uri.StartsWith("//", StringComparison.Ordinal) && !uri.StartsWith("/\\", StringComparison.Ordinal);
        return isLocal ? uri : "/";
    }
}
