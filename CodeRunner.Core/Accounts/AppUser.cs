using Microsoft.AspNetCore.Identity;

namespace CodeRunner.Core.Accounts;

/// <summary>A person who signs in. Identity supplies user name, email, password hash and lockout.</summary>
public class AppUser : IdentityUser
{
    public string? FullName { get; set; }
    public bool IsActive { get; set; } = true;
    /// <summary>Tier level 1–4 (Free, Basic, Premium, Enterprise).</summary>
    public int Level { get; set; } = 1;
    /// <summary>Relative path of the avatar file under data/avatars.</summary>
    public string? AvatarPath { get; set; }
    public string? Bio { get; set; }
    /// <summary>Preferred UI culture (zh-CN or en-US).</summary>
    public string? Culture { get; set; }
    /// <summary>Set for the first-run admin: the password must be changed before anything else.</summary>
    public bool MustChangePassword { get; set; }
    public DateTime CreatedAt { get; set; }
}
