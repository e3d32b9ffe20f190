package bench

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoRegularExpressionCompilesAtTheGuardsInit: a package-level
// regexp.MustCompile runs at every cold start, whether or not an event
// needs it. selfguard's packages the guards link compile theirs on first
// use (sync.OnceValue) or check by hand (docs/performance.md).
func TestNoRegularExpressionCompilesAtTheGuardsInit(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", "-f", "{{if not .Standard}}{{.ImportPath}} {{.Dir}}{{end}}",
		"../../functions/lambda-guard", "../../functions/repo-guard").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, dir, _ := strings.Cut(line, " ")
		if !strings.HasPrefix(pkg, "github.com/selfguard/selfguard/") {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			for _, at := range compilesAtInit(t, f) {
				t.Errorf("%s: a regular expression compiles at package init", at)
			}
		}
	}
}

// compilesAtInit returns where a package-level variable of file is set by
// a regexp compile outside any function literal.
func compilesAtInit(t *testing.T, file string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		ast.Inspect(g, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false // runs when called, not at init
			case *ast.CallExpr:
				if s, ok := n.Fun.(*ast.SelectorExpr); ok {
					if x, ok := s.X.(*ast.Ident); ok && x.Name == "regexp" && strings.HasPrefix(s.Sel.Name, "MustCompile") {
						out = append(out, fset.Position(n.Pos()).String())
					}
				}
			}
			return true
		})
	}
	return out
}
