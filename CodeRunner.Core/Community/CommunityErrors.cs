using CodeRunner.Core.Common;

namespace CodeRunner.Core.Community;

/// <summary>A blocked (deactivated or locked-out) account may read but not write in the community.</summary>
public sealed class AccountBlockedError()
    : CodeRunnerError("community.account_blocked", "This account cannot post or comment.");

/// <summary>Posting or commenting faster than <see cref="CommunityOptions"/> allows; <see cref="RetryAfterUtc"/> says when it opens again.</summary>
public sealed class CommunityRateLimitError(string code, int limit, TimeSpan window, DateTime retryAfterUtc)
    : CodeRunnerError(code, $"At most {limit} in {window.TotalMinutes:0} minutes.", limit, (int)Math.Ceiling(window.TotalMinutes))
{
    public DateTime RetryAfterUtc { get; } = retryAfterUtc;
}
