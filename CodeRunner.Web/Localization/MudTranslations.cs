using Microsoft.Extensions.Localization;
using MudBlazor;

namespace CodeRunner.Web.Localization;

/// <summary>
/// MudBlazor's own texts (pager "Rows per page", data grid filters, date pickers, dialogs…) in the user's language,
/// from Resources/Localization/MudTranslations(.en).resx. The keys are MudBlazor's (its LanguageResource.resx,
/// e.g. MudDataGridPager_RowsPerPage); a key we lack falls back to MudBlazor's English. To add one after a
/// MudBlazor upgrade: <c>python3 tools/add-strings.py CodeRunner.Web/Resources/Localization/MudTranslations Key "中文" "English"</c>.
/// </summary>
public sealed class MudTranslations(IStringLocalizer<MudTranslations> localizer) : MudLocalizer
{
    public override LocalizedString this[string key] => Found(localizer[key]);

    public override LocalizedString this[string key, params object[] arguments] => Found(localizer[key, arguments]);

    // ResourceNotFound tells MudBlazor to use its built-in text.
    private static LocalizedString Found(LocalizedString text) =>
        text.ResourceNotFound ? new LocalizedString(text.Name, text.Name, resourceNotFound: true) : text;
}
