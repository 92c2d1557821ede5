package terraform

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Options are the inputs besides the paths.
type Options struct {
	// VarFiles are --var-file files, in order (later ones win).
	VarFiles []string
	// Vars are --var K=V assignments, in order.
	Vars []string
	// Env is the environment, for TF_VAR_name variables ("K=V" strings).
	Env []string
}

// ErrNothingRead is returned (wrapped) when no input could be read at all.
var ErrNothingRead = errors.New("nothing could be read")

// Load reads the Terraform root module folders, .tf files and plan JSON
// files in paths as one configuration. Files it cannot parse are named in
// Config.Errors and the rest is still read; the error is non-nil only when
// the arguments are wrong or nothing could be read.
func Load(paths []string, opt Options) (*Config, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	l := newLoader()
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		st, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, unwrapPathError(err))
		}
		if st.IsDir() {
			l.roots = append(l.roots, abs)
		} else {
			l.roots = append(l.roots, filepath.Dir(abs))
		}
	}
	if err := l.parseVarsFlags(opt); err != nil {
		return nil, err
	}
	var mods []*moduleInst
	for _, p := range paths {
		abs, _ := filepath.Abs(p)
		st, _ := os.Stat(abs)
		switch {
		case st.IsDir():
			decl := l.parseModule(abs, p, nil)
			if decl == nil {
				continue
			}
			mods = append(mods, l.rootModule(decl, abs, p, opt))
		case strings.HasSuffix(abs, ".tf"):
			decl := l.parseModule(filepath.Dir(abs), filepath.Dir(p), []string{abs})
			if decl == nil {
				continue
			}
			mods = append(mods, l.rootModule(decl, filepath.Dir(abs), filepath.Dir(p), opt))
		case strings.HasSuffix(abs, ".json"):
			if err := l.loadPlan(abs, p); err != nil {
				l.cfg.Errors = append(l.cfg.Errors, err.Error())
			}
		default:
			return nil, fmt.Errorf("%s: not a folder, a .tf file or a plan .json file", p)
		}
	}
	if len(mods) > 0 {
		l.evaluate(mods)
	}
	if len(l.cfg.Files) == 0 {
		msg := "no .tf or plan file found"
		if len(l.cfg.Errors) > 0 {
			msg = strings.Join(l.cfg.Errors, "; ")
		}
		return l.cfg, fmt.Errorf("%s: %w", msg, ErrNothingRead)
	}
	l.finish()
	return l.cfg, nil
}

type loader struct {
	cfg    *Config
	parser *hclparse.Parser
	// roots are the folders the user named; file() reads only inside them.
	roots []string
	// cwd is the root module being evaluated (Terraform's working folder).
	cwd string
	// sources holds each read file's bytes, by absolute path.
	sources map[string][]byte
	// display maps an absolute path to the path shown to the user.
	display map[string]string
	files   map[string]bool
	warned  map[string]bool
	// refs lists, per resource ("aws_iam_role.ci", "data.aws_x.y"), the
	// attributes the configuration reads from it.
	refs     map[string]map[string]bool
	accounts map[string]*Account
	literal  map[string]bool
	nextID   int
	regions  int
	// varFiles and vars are the --var-file and --var values, in order.
	varFiles []varFile
	vars     []varFlag
	// done is set during the last evaluation pass: diagnostics and the
	// model are collected only then.
	done    bool
	changed bool
	// parsing holds the module folders being parsed, to refuse a module
	// that includes itself.
	parsing map[string]bool
	fns     map[string]function.Function
}

type varFile struct {
	path  string
	attrs hcl.Attributes
}

type varFlag struct{ name, value string }

func newLoader() *loader {
	return &loader{
		cfg:      &Config{Files: []string{}, Warnings: []string{}, Errors: []string{}},
		parser:   hclparse.NewParser(),
		sources:  map[string][]byte{},
		display:  map[string]string{},
		files:    map[string]bool{},
		warned:   map[string]bool{},
		refs:     map[string]map[string]bool{},
		accounts: map[string]*Account{},
		literal:  map[string]bool{},
		parsing:  map[string]bool{},
	}
}

func (l *loader) allowed(p string) bool {
	for _, r := range l.roots {
		if rel, err := filepath.Rel(r, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

var accountIDPattern = regexp.MustCompile(`\b\d{12}\b`)

// readFile records a file as read (for "checked: files" and stand-in ids).
func (l *loader) readFile(abs string) {
	if !l.files[abs] {
		l.files[abs] = true
		l.cfg.Files = append(l.cfg.Files, l.show(abs))
	}
	if b, ok := l.sources[abs]; ok {
		for _, id := range accountIDPattern.FindAll(b, -1) {
			l.literal[string(id)] = true
		}
	} else if b, err := os.ReadFile(abs); err == nil {
		for _, id := range accountIDPattern.FindAll(b, -1) {
			l.literal[string(id)] = true
		}
	}
}

// show is the path as the user gave it (relative paths stay relative).
func (l *loader) show(abs string) string {
	if d, ok := l.display[abs]; ok {
		return d
	}
	return abs
}

func (l *loader) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !l.warned[msg] {
		l.warned[msg] = true
		l.cfg.Warnings = append(l.cfg.Warnings, msg)
	}
}

// where formats a range as file:line:column.
func (l *loader) where(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", l.show(r.Filename), r.Start.Line, r.Start.Column)
}

func (l *loader) source(r hcl.Range, addr string) Source {
	return Source{File: l.show(r.Filename), Line: r.Start.Line, Column: r.Start.Column, Address: addr}
}

// text is an expression as written.
func (l *loader) text(r hcl.Range) string {
	b := l.sources[r.Filename]
	if r.End.Byte > len(b) || r.Start.Byte > r.End.Byte {
		return ""
	}
	return string(b[r.Start.Byte:r.End.Byte])
}

// moduleDecl is one module folder, parsed.
type moduleDecl struct {
	dir       string
	variables []*hclsyntax.Block
	locals    []*hclsyntax.Attribute
	outputs   []*hclsyntax.Block
	providers []*hclsyntax.Block
	resources []*resourceDecl
	calls     []*callDecl
}

type resourceDecl struct {
	mode     string // "managed" or "data"
	typ      string
	name     string
	block    *hclsyntax.Block
	provider string // "aws" or "aws.alias" as written
}

func (r *resourceDecl) key() string {
	if r.mode == "data" {
		return "data." + r.typ + "." + r.name
	}
	return r.typ + "." + r.name
}

type callDecl struct {
	name      string
	block     *hclsyntax.Block
	child     *moduleDecl
	providers map[string]string // child's name -> parent's provider
}

// parseModule parses the .tf files of dir (or only the files given).
// display is dir as the user wrote it. It returns nil when the folder holds
// no configuration at all.
func (l *loader) parseModule(dir, display string, only []string) *moduleDecl {
	files := only
	if files == nil {
		entries, err := os.ReadDir(dir)
		if err != nil {
			l.cfg.Errors = append(l.cfg.Errors, fmt.Sprintf("%s: %v", display, unwrapPathError(err)))
			return nil
		}
		for _, e := range entries {
			name := e.Name()
			switch {
			case e.IsDir() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") || strings.HasPrefix(name, "#"):
			case strings.HasSuffix(name, ".tf"):
				files = append(files, filepath.Join(dir, name))
			case strings.HasSuffix(name, ".tf.json"):
				l.warn("%s: JSON configuration syntax (.tf.json) is not read by lint: its resources are not checked", filepath.Join(display, name))
			}
		}
	}
	sort.Strings(files)
	m := &moduleDecl{dir: dir}
	l.parsing[filepath.Clean(dir)] = true
	defer delete(l.parsing, filepath.Clean(dir))
	parsed := 0
	for _, f := range files {
		rel, err := filepath.Rel(dir, f)
		if err != nil {
			rel = filepath.Base(f)
		}
		l.display[f] = filepath.Join(display, rel)
		b, err := os.ReadFile(f)
		if err != nil {
			l.cfg.Errors = append(l.cfg.Errors, fmt.Sprintf("%s: %v", l.show(f), unwrapPathError(err)))
			continue
		}
		l.sources[f] = b
		file, diags := hclsyntax.ParseConfig(b, f, hcl.InitialPos)
		if diags.HasErrors() {
			for _, d := range diags.Errs() {
				l.cfg.Errors = append(l.cfg.Errors, l.diagText(d))
			}
			l.warn("%s: not read: it has a syntax error", l.show(f))
			continue
		}
		parsed++
		l.readFile(f)
		l.declare(m, file.Body.(*hclsyntax.Body))
	}
	if parsed == 0 {
		if len(files) == 0 {
			l.cfg.Errors = append(l.cfg.Errors, fmt.Sprintf("%s: no .tf file", display))
		}
		return nil
	}
	return m
}

func (l *loader) diagText(err error) string {
	var d *hcl.Diagnostic
	if errors.As(err, &d) || asDiag(err, &d) {
		if d.Subject != nil {
			return fmt.Sprintf("%s: %s", l.where(*d.Subject), diagMessage(d))
		}
		return diagMessage(d)
	}
	return err.Error()
}

func asDiag(err error, out **hcl.Diagnostic) bool {
	if d, ok := err.(*hcl.Diagnostic); ok {
		*out = d
		return true
	}
	return false
}

func diagMessage(d *hcl.Diagnostic) string {
	if d.Detail == "" {
		return strings.TrimSuffix(d.Summary, ".")
	}
	return d.Summary + ": " + strings.TrimSuffix(d.Detail, ".")
}

// declare files a parsed file's top-level blocks into m.
func (l *loader) declare(m *moduleDecl, body *hclsyntax.Body) {
	for _, b := range body.Blocks {
		switch b.Type {
		case "variable":
			if len(b.Labels) == 1 {
				m.variables = append(m.variables, b)
			}
		case "locals":
			for _, a := range sortedAttrs(b.Body) {
				m.locals = append(m.locals, a)
			}
		case "output":
			if len(b.Labels) == 1 {
				m.outputs = append(m.outputs, b)
			}
		case "provider":
			if len(b.Labels) == 1 && b.Labels[0] == "aws" {
				m.providers = append(m.providers, b)
			}
		case "resource", "data":
			if len(b.Labels) != 2 {
				continue
			}
			mode := "managed"
			if b.Type == "data" {
				mode = "data"
			}
			r := &resourceDecl{mode: mode, typ: b.Labels[0], name: b.Labels[1], block: b}
			if a, ok := b.Body.Attributes["provider"]; ok {
				r.provider = traversalText(a.Expr)
				if r.provider == "" {
					l.warn("%s: provider of %s is not a provider reference: the default provider is assumed", l.where(a.Expr.Range()), r.key())
				}
			}
			m.resources = append(m.resources, r)
		case "module":
			if len(b.Labels) == 1 {
				m.calls = append(m.calls, l.declareCall(m, b))
			}
		}
	}
	hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		if e, ok := n.(hclsyntax.Expression); ok {
			for _, t := range e.Variables() {
				l.addRef(t)
			}
		}
		return nil
	})
}

// addRef records which attribute of which resource a traversal reads.
func (l *loader) addRef(t hcl.Traversal) {
	names := []string{}
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			names = append(names, s.Name)
		case hcl.TraverseAttr:
			names = append(names, s.Name)
		}
	}
	if len(names) < 3 {
		return
	}
	key, attr := names[0]+"."+names[1], names[2]
	if names[0] == "data" {
		if len(names) < 4 {
			return
		}
		key, attr = "data."+names[1]+"."+names[2], names[3]
	}
	if l.refs[key] == nil {
		l.refs[key] = map[string]bool{}
	}
	l.refs[key][attr] = true
}

func (l *loader) declareCall(m *moduleDecl, b *hclsyntax.Block) *callDecl {
	c := &callDecl{name: b.Labels[0], block: b, providers: map[string]string{}}
	src, ok := b.Body.Attributes["source"]
	if !ok {
		l.warn("%s: module %q has no source: not read", l.where(b.TypeRange), c.name)
		return c
	}
	v, diags := src.Expr.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String || v.IsNull() {
		l.warn("%s: module %q: source is not a literal string: not read", l.where(src.Expr.Range()), c.name)
		return c
	}
	s := v.AsString()
	if !strings.HasPrefix(s, "./") && !strings.HasPrefix(s, "../") {
		l.warn("%s: module %q comes from %q, which lint does not download: its resources are not checked (lint the module's folder too)", l.where(src.Expr.Range()), c.name, s)
		return c
	}
	dir := filepath.Join(m.dir, s)
	if !l.allowed(dir) {
		l.warn("%s: module %q is in %s, outside the folders given to lint: not read", l.where(src.Expr.Range()), c.name, s)
		return c
	}
	if a, ok := b.Body.Attributes["providers"]; ok {
		pairs, diags := hcl.ExprMap(a.Expr)
		if diags.HasErrors() {
			l.warn("%s: providers of module %q is not a map of provider references: the default provider is passed", l.where(a.Expr.Range()), c.name)
		}
		for _, p := range pairs {
			k, v := traversalText(p.Key), traversalText(p.Value)
			if k != "" && v != "" {
				c.providers[k] = v
			}
		}
	}
	if l.parsing[filepath.Clean(dir)] {
		l.warn("%s: module %q is %s, which contains this call: a module cannot include itself; not read", l.where(src.Expr.Range()), c.name, s)
		return c
	}
	parentDisplay := l.show(filepath.Join(m.dir, "x"))
	display := filepath.Join(filepath.Dir(parentDisplay), s)
	c.child = l.parseModule(dir, display, nil)
	return c
}

// traversalText renders a provider reference such as aws.west ("" if the
// expression is not a plain traversal).
func traversalText(e hcl.Expression) string {
	t, diags := hcl.AbsTraversalForExpr(e)
	if diags.HasErrors() {
		// A map key like "aws" is parsed as a template or a literal.
		if v, d := e.Value(nil); !d.HasErrors() && v.Type() == cty.String {
			return v.AsString()
		}
		return ""
	}
	parts := []string{}
	for _, s := range t {
		switch s := s.(type) {
		case hcl.TraverseRoot:
			parts = append(parts, s.Name)
		case hcl.TraverseAttr:
			parts = append(parts, s.Name)
		default:
			return ""
		}
	}
	return strings.Join(parts, ".")
}

func sortedAttrs(b *hclsyntax.Body) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(b.Attributes))
	for _, a := range b.Attributes {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}

// parseVarsFlags reads --var-file and --var once.
func (l *loader) parseVarsFlags(opt Options) error {
	for _, f := range opt.VarFiles {
		attrs, err := l.parseVarFile(f, true)
		if err != nil {
			return err
		}
		l.varFiles = append(l.varFiles, varFile{path: f, attrs: attrs})
	}
	for _, kv := range opt.Vars {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !hclsyntax.ValidIdentifier(k) {
			return fmt.Errorf("--var %q: want NAME=VALUE", kv)
		}
		l.vars = append(l.vars, varFlag{k, v})
	}
	return nil
}

// parseVarFile reads a .tfvars (HCL) or .tfvars.json file.
func (l *loader) parseVarFile(path string, flag bool) (hcl.Attributes, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if flag {
			return nil, fmt.Errorf("--var-file %s: %w", path, unwrapPathError(err))
		}
		return nil, nil
	}
	abs, _ := filepath.Abs(path)
	if _, ok := l.display[abs]; !ok {
		l.display[abs] = path
	}
	l.sources[abs] = b
	var file *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(path, ".json") {
		file, diags = l.parser.ParseJSON(b, abs)
	} else {
		file, diags = hclsyntax.ParseConfig(b, abs, hcl.InitialPos)
	}
	if !diags.HasErrors() {
		var attrs hcl.Attributes
		attrs, diags = file.Body.JustAttributes()
		if !diags.HasErrors() {
			l.readFile(abs)
			return attrs, nil
		}
	}
	msgs := []string{}
	for _, d := range diags.Errs() {
		msgs = append(msgs, l.diagText(d))
	}
	if flag {
		return nil, fmt.Errorf("--var-file %s: %s", path, strings.Join(msgs, "; "))
	}
	l.cfg.Errors = append(l.cfg.Errors, msgs...)
	l.warn("%s: not read: it has a syntax error", path)
	return nil, nil
}
