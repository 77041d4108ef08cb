# CodeRunner — one image: the web app, bubblewrap for the sandbox, Python and micromamba for environments.
# docker build -t coderunner . && docker run -p 8080:8080 -v coderunner-data:/data coderunner

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props CodeRunner.sln ./
COPY CodeRunner.Sandbox/CodeRunner.Sandbox.csproj CodeRunner.Sandbox/
COPY CodeRunner.Core/CodeRunner.Core.csproj CodeRunner.Core/
COPY CodeRunner.Web/CodeRunner.Web.csproj CodeRunner.Web/
RUN dotnet restore CodeRunner.Web/CodeRunner.Web.csproj
COPY CodeRunner.Sandbox/ CodeRunner.Sandbox/
COPY CodeRunner.Core/ CodeRunner.Core/
COPY CodeRunner.Web/ CodeRunner.Web/
COPY wwwroot-assets/ wwwroot-assets/
RUN dotnet publish CodeRunner.Web/CodeRunner.Web.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# bubblewrap + util-linux (prlimit, setpriv) isolate runs; GNU time reports exact CPU and peak memory; python3 is the base environment.
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap util-linux time python3 python3-venv python3-pip \
      python3-numpy python3-matplotlib fonts-wqy-microhei ca-certificates curl bzip2 \
 && rm -rf /var/lib/apt/lists/*
# micromamba for conda environments (optional: without it CodeRunner uses venv).
ARG MICROMAMBA_URL=https://micro.mamba.pm/api/micromamba/linux-64/latest
RUN curl -fsSL "$MICROMAMBA_URL" | tar -xj -C /usr/local bin/micromamba || echo "micromamba not installed; venv backend will be used"
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_URLS=http://+:8080 \
    CODERUNNER_DataDirectory=/data \
    DOTNET_RUNNING_IN_CONTAINER=true
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD curl -fs http://localhost:8080/health || exit 1
ENTRYPOINT ["dotnet", "CodeRunner.Web.dll"]
