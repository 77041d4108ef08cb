using CodeRunner.Core.Accounts;
using CodeRunner.Core.Ai;
using CodeRunner.Core.ApiKeys;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Community;
using CodeRunner.Core.Environments;
using CodeRunner.Core.Execution;
using CodeRunner.Core.Library;
using CodeRunner.Core.Tiers;
using CodeRunner.Core.Coordination;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace CodeRunner.Core.Data;

public class CodeRunnerDbContext(DbContextOptions<CodeRunnerDbContext> options) : IdentityDbContext<AppUser>(options), IDataProtectionKeyContext
{
    public DbSet<CodeExecution> CodeExecutions => Set<CodeExecution>();
    public DbSet<Snippet> Snippets => Set<Snippet>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<AiProviderConfig> AiProviderConfigs => Set<AiProviderConfig>();
    public DbSet<AiUsageRecord> AiUsageRecords => Set<AiUsageRecord>();
    public DbSet<PythonEnvironment> PythonEnvironments => Set<PythonEnvironment>();
    public DbSet<Post> Posts => Set<Post>();
    public DbSet<PostLike> PostLikes => Set<PostLike>();
    public DbSet<PostFavorite> PostFavorites => Set<PostFavorite>();
    public DbSet<Comment> Comments => Set<Comment>();
    public DbSet<CommentLike> CommentLikes => Set<CommentLike>();
    public DbSet<PostCodeShare> PostCodeShares => Set<PostCodeShare>();
    public DbSet<Follow> Follows => Set<Follow>();
    public DbSet<PostView> PostViews => Set<PostView>();
    public DbSet<PostTag> PostTags => Set<PostTag>();
    public DbSet<Notification> Notifications => Set<Notification>();
    public DbSet<AuditLog> AuditLogs => Set<AuditLog>();
    public DbSet<DailyUsage> DailyUsages => Set<DailyUsage>();
    public DbSet<Lease> Leases => Set<Lease>();
    /// <summary>The Data Protection key ring when several web nodes share a PostgreSQL database (SQLite keeps it in data/keys).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        ReplaceNulCharacters();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        ReplaceNulCharacters();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    /// <summary>
    /// PostgreSQL's text cannot hold U+0000 (SQLite's can), and a program's output or a pasted program may contain it:
    /// on PostgreSQL it is stored as U+FFFD instead of failing the write.
    /// </summary>
    private void ReplaceNulCharacters()
    {
        if (!Database.IsNpgsql()) return;
        ChangeTracker.DetectChanges();
        foreach (var entry in ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified)) continue;
            foreach (var property in entry.Properties)
                if (property.CurrentValue is string text && text.Contains('\0')) property.CurrentValue = text.Replace('\0', '\uFFFD');
        }
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        base.ConfigureConventions(builder);
        // Every DateTime here is UTC. PostgreSQL's timestamptz insists on Kind=Utc (SQLite stores any kind as text),
        // so values are marked UTC on the way in and out; the SQLite model stays exactly as it was.
        if (Database.IsNpgsql())
        {
            builder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
            builder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
        }
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);

        builder.Entity<AppUser>(e =>
        {
            e.Property(u => u.FullName).HasMaxLength(100);
            e.Property(u => u.Bio).HasMaxLength(1000);
            e.Property(u => u.AvatarPath).HasMaxLength(260);
            e.Property(u => u.Culture).HasMaxLength(10);
        });

        builder.Entity<CodeExecution>(e =>
        {
            e.Property(x => x.Status).HasMaxLength(20);
            e.Property(x => x.EnvironmentName).HasMaxLength(64);
            e.Property(x => x.Node).HasMaxLength(NodeIdentity.MaxNameLength);
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Snippet>().WithMany().HasForeignKey(x => x.SnippetId).OnDelete(DeleteBehavior.SetNull);
            e.HasIndex(x => new { x.UserId, x.CreatedAt });
            e.HasIndex(x => x.Status);
        });

        builder.Entity<Snippet>(e =>
        {
            e.Property(x => x.Title).HasMaxLength(200);
            e.Property(x => x.Description).HasMaxLength(2000);
            e.Property(x => x.Language).HasMaxLength(20);
            e.Property(x => x.Tags).HasMaxLength(500);
            e.Property(x => x.EnvironmentName).HasMaxLength(64);
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.UserId, x.UpdatedAt });
            e.HasIndex(x => x.IsPublic);
        });

        builder.Entity<ApiKey>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Prefix).HasMaxLength(16);
            e.Property(x => x.SecretHash).HasMaxLength(64);
            e.HasIndex(x => x.SecretHash).IsUnique();
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<AiProviderConfig>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Provider).HasMaxLength(20);
            e.Property(x => x.Model).HasMaxLength(100);
            e.Property(x => x.BaseUrl).HasMaxLength(500);
            e.Property(x => x.ApiKeyHint).HasMaxLength(8);
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.UserId, x.IsActive });
        });

        builder.Entity<AiUsageRecord>(e =>
        {
            e.Property(x => x.Provider).HasMaxLength(20);
            e.Property(x => x.Model).HasMaxLength(100);
            e.Property(x => x.Action).HasMaxLength(20);
            e.Property(x => x.ErrorCode).HasMaxLength(40);
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<AiProviderConfig>().WithMany().HasForeignKey(x => x.ProviderConfigId).OnDelete(DeleteBehavior.SetNull);
            e.HasIndex(x => new { x.UserId, x.CreatedAt });
            e.HasIndex(x => x.CreatedAt);
        });

        builder.Entity<PythonEnvironment>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(64);
            e.Property(x => x.DisplayName).HasMaxLength(100);
            e.Property(x => x.Description).HasMaxLength(1000);
            e.Property(x => x.PythonVersion).HasMaxLength(20);
            e.HasIndex(x => x.Name).IsUnique();
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.OwnerId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.ConfigureCommunity();

        builder.Entity<AuditLog>(e =>
        {
            e.Property(x => x.UserName).HasMaxLength(AuditLog.MaxUserNameLength);
            e.Property(x => x.Action).HasMaxLength(AuditLog.MaxActionLength);
            e.Property(x => x.ResourceType).HasMaxLength(AuditLog.MaxResourceTypeLength);
            e.Property(x => x.ResourceId).HasMaxLength(AuditLog.MaxResourceIdLength);
            e.Property(x => x.IpAddress).HasMaxLength(AuditLog.MaxIpAddressLength);
            e.Property(x => x.UserAgent).HasMaxLength(AuditLog.MaxUserAgentLength);
            e.Property(x => x.Status).HasMaxLength(AuditLog.MaxStatusLength);
            // Audit rows outlive their user: keep the name, drop the link.
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.SetNull);
            e.HasIndex(x => x.CreatedAt);
            e.HasIndex(x => new { x.UserId, x.CreatedAt });
            e.HasIndex(x => x.Action);
        });

        builder.Entity<Lease>(e =>
        {
            e.HasKey(x => x.Key);
            e.Property(x => x.Key).HasMaxLength(Lease.MaxKeyLength);
            e.Property(x => x.Holder).HasMaxLength(Lease.MaxHolderLength);
        });

        builder.Entity<DailyUsage>(e =>
        {
            e.HasIndex(x => new { x.UserId, x.Day }).IsUnique();
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}

/// <summary>Marks DateTimes as UTC (the app writes only UTC instants; see <see cref="CodeRunnerDbContext.ConfigureConventions"/>).</summary>
internal sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
    value => value.Kind == DateTimeKind.Utc ? value : DateTime.SpecifyKind(value, DateTimeKind.Utc),
    value => DateTime.SpecifyKind(value, DateTimeKind.Utc));
