namespace CodeRunner.Core.Coordination;

/// <summary>
/// A named lock held in the database by one holder until it is released or <see cref="ExpiresAt"/> passes (a node that
/// died without releasing it loses it then). The key is unique, so two nodes can never both insert it.
/// </summary>
public class Lease
{
    public const int MaxKeyLength = 200;
    public const int MaxHolderLength = 100;

    public required string Key { get; set; }
    public required string Holder { get; set; }
    public DateTime ExpiresAt { get; set; }
}
