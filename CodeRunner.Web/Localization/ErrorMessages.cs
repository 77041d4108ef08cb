using CodeRunner.Core.Common;
using Microsoft.Extensions.Localization;

namespace CodeRunner.Web.Localization;

/// <summary>Turns a Core error code into a sentence in the user's language
/// (Resources/Localization/ErrorMessages.resx; placeholders {0}, {1}… are the error's arguments).</summary>
public sealed class ErrorMessages(IStringLocalizer<ErrorMessages> localizer)
{
    public string Describe(CodeRunnerError error)
    {
        var text = localizer[error.Code, error.Arguments];
        return text.ResourceNotFound ? error.Message : text.Value;
    }

    public string this[string code] => localizer[code].Value;
}
