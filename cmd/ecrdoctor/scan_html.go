package main

// htmlToTerminal refuses --output html without --out when stdout is a
// terminal, before anything is read: a page of markup scrolling past is of
// use to nobody, and a scan can take minutes. Redirected (> report.html, or
// a pipe) the page goes to stdout as any other format does.
func htmlToTerminal(s IO, o scanOptions) error {
	if o.Output == "html" && o.Out == "" && s.OutTTY {
		return usageErrorf("scan: --output html writes a web page, not something to read in a terminal: add --out report.html and open that file in a browser (or redirect: > report.html)")
	}
	return nil
}
