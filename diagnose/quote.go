package diagnose

// ShellQuote quotes s as one word for a POSIX shell: the one quoting
// helper for every command ecrdoctor prints, here and in cmd.
func ShellQuote(s string) string { return shellQuote(s) }
