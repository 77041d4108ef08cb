// Remembers the light/dark choice (Components/Layout/ThemeState.cs) for a year; empty value = follow the OS.
export function remember(name, value) {
    const maxAge = value ? 60 * 60 * 24 * 365 : 0;
    document.cookie = `${name}=${encodeURIComponent(value ?? "")}; path=/; max-age=${maxAge}; samesite=lax`;
}
