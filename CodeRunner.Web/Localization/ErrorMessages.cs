using CodeRunner.Core.Common;
using Microsoft.Extensions.Localization;

namespace CodeRunner.Web.Localization;

/// <summary>Turns a Core error code into a sentence in the user's language
/// (Resources/Localization/ErrorMessages.resx; placeholders {0}, {1}… are the error's arguments).</summary>
public sealed class ErrorMessages(IStringLocalizer<ErrorMessages> localizer)
{
    public string Describe(CodeRunnerError error)
    {
        var text = localizer[error.Code, LocalizedArguments(error)];
        return text.ResourceNotFound ? error.Message : text.Value;
    }

    /// <summary>"not_found" names its resource type ("snippet"); the sentence wants the word in the user's language.</summary>
    private object[] LocalizedArguments(CodeRunnerError error)
    {
        if (error is not NotFoundError notFound || error.Arguments.Length == 0) return error.Arguments;
        var type = localizer["resource." + notFound.ResourceType];
        return type.ResourceNotFound ? error.Arguments : [type.Value, .. error.Arguments[1..]];
    }

    public string this[string code] => localizer[code].Value;
}
