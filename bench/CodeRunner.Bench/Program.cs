using CodeRunner.Bench;

// One mode per first argument, so other benchmarks can be added as new cases.
var mode = args.Length > 0 ? args[0] : "";
return mode switch
{
    "sandbox" => await SandboxBenchmark.RunAsync(args[1..]),
    "web" => await WebBenchmark.RunAsync(args[1..]),
    "rest" => await RestBenchmark.RunAsync(args[1..]),
    "community" => await CommunityBenchmark.RunAsync(args[1..]),
    "community-seed" => await CommunityBenchmark.SeedAsync(args[1..]),
    "rest-path" => await RestPathBenchmark.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench/CodeRunner.Bench -- <mode>\nmodes:\n  sandbox [pool=N]   hello world through the sandbox vs bare python start, and runs/s at 1, 4, 16 concurrent runs\n  rest      [Section:Key=value ...]   POST /api/v1/execute hello world p50/p95 and runs/s at 16 concurrent, vs bare python3 -c in the same run\n  web       click Run in Chromium → first output line visible / → finished, vs the same program through the sandbox only\n  community [--data dir] [--pages-only] [posts likes comments users]   seed a temp community (default 100000 500000 200000 2000), p50/p95 of feed and post-page queries, whole pages + query plans; --data keeps the seeded database in dir and reuses it next time; --pages-only skips the query cases\n  community-seed <data-dir> [posts likes comments users]   seed the community into a new data directory (or one without posts), e.g. for trying the UI");
    return 2;
}
