namespace CodeRunner.Web.Components.Pages.Run;

/// <summary>Starter programs on the run page; names are RunPage resources "Template_{Key}".</summary>
public static class RunTemplates
{
    public sealed record Template(string Key, string Code);

    public static readonly IReadOnlyList<Template> All =
    [
        new("Hello", """
            print("Hello, CodeRunner!")
            print("你好，世界！")

            for i in range(1, 6):
                print(f"{i} x {i} = {i * i}")
            """),
        new("Input", """
            name = input("What is your name? ")
            print(f"Hello, {name}!")

            total = 0
            while True:
                line = input("A number (empty line to stop): ")
                if not line:
                    break
                total += float(line)
                print("running total:", total)
            """),
        new("Numpy", """
            import numpy as np

            a = np.arange(12).reshape(3, 4)
            print(a)
            print("sum:", a.sum(), "mean:", a.mean())
            print("column sums:", a.sum(axis=0))

            rng = np.random.default_rng(42)
            samples = rng.normal(loc=0.0, scale=1.0, size=10_000)
            print(f"mean={samples.mean():.3f} std={samples.std():.3f}")
            """),
        new("Matplotlib", """
            import numpy as np
            import matplotlib.pyplot as plt

            x = np.linspace(0, 2 * np.pi, 200)
            plt.figure(figsize=(6, 3.5))
            plt.plot(x, np.sin(x), label="sin(x)")
            plt.plot(x, np.cos(x), label="cos(x)")
            plt.legend()
            plt.title("Trigonometry")
            plt.grid(True, alpha=0.3)
            plt.show()
            print("done")
            """),
    ];

    public static Template? Find(string key) => All.FirstOrDefault(t => t.Key == key);
}
