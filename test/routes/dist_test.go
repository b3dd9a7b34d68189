package routes

import (
	"debug/elf"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestVersionFromLdflags: the binary under test was built with
// -ldflags "-X github.com/argo-metrics-gen/argo-metrics-gen/internal/cli.Version=v9.9.9".
func TestVersionFromLdflags(t *testing.T) {
	need(t)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		if out := ok(t, cmd{}, amg, args...); out != "argo-metrics-gen "+testVersion+"\n" {
			t.Errorf("%v: %q", args, out)
		}
	}
}

// checkStatic fails unless path is a statically linked ELF executable (no interpreter, no
// shared libraries): what runs in distroless/static and in any sidecar.
func checkStatic(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has a program interpreter: dynamically linked", path)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s needs shared libraries %v", path, libs)
	}
}

// TestMakeBuild runs the Makefile's build target with another version and output path.
func TestMakeBuild(t *testing.T) {
	need(t)
	bin := filepath.Join(t.TempDir(), "argo-metrics-gen")
	ok(t, cmd{dir: root}, "make", "-s", "build", "BIN="+bin, "VERSION=v1.2.3-routes")
	checkStatic(t, bin)
	if out := ok(t, cmd{}, bin, "version"); out != "argo-metrics-gen v1.2.3-routes\n" {
		t.Errorf("version: %q", out)
	}
}

// dockerfile is the part of a Dockerfile this test understands: stages with their ARG
// defaults, ENV, WORKDIR, RUN, COPY, USER and ENTRYPOINT instructions, continuations joined.
type stage struct {
	from, name string
	instrs     [][2]string // instruction, arguments
}

func parseDockerfile(t *testing.T, rel string) (args map[string]string, stages []*stage) {
	t.Helper()
	args = map[string]string{}
	var logical []string
	cur := ""
	for _, line := range strings.Split(string(readFile(t, rootPath(rel))), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur += strings.TrimSuffix(trimmed, "\\") + " "
			continue
		}
		logical = append(logical, cur+trimmed)
		cur = ""
	}
	for _, l := range logical {
		instr, rest, _ := strings.Cut(l, " ")
		instr = strings.ToUpper(instr)
		switch instr {
		case "FROM":
			f := strings.Fields(rest)
			s := &stage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
			continue
		case "ARG":
			name, def, _ := strings.Cut(rest, "=")
			if len(stages) == 0 {
				args[name] = def
				continue
			}
		}
		if len(stages) == 0 {
			t.Fatalf("%s: %s before FROM", rel, instr)
		}
		s := stages[len(stages)-1]
		s.instrs = append(s.instrs, [2]string{instr, rest})
	}
	return args, stages
}

// runBuildStage executes the RUN instructions of a Dockerfile's build stage on this machine:
// ARG defaults (overridden by set) and ENV become the environment, the literal /out directory
// becomes out, WORKDIR /src is the repository copy. It returns out.
func runBuildStage(t *testing.T, rel string, set map[string]string) (string, []*stage) {
	t.Helper()
	global, stages := parseDockerfile(t, rel)
	out := t.TempDir()
	repo := repoCopy(t)
	dir := t.TempDir()
	env := []string{}
	for k, v := range global {
		env = append(env, k+"="+v)
	}
	build := stages[0]
	if build.name != "build" || !strings.HasPrefix(build.from, "golang:1.26") {
		t.Fatalf("%s: the first stage must be `FROM golang:1.26 AS build`, got %q %q", rel, build.from, build.name)
	}
	for _, in := range build.instrs {
		arg := strings.ReplaceAll(in[1], "/out", out)
		switch in[0] {
		case "ARG":
			k, v, _ := strings.Cut(arg, "=")
			if s, ok := set[k]; ok {
				v = s
			}
			env = append(env, k+"="+v)
		case "ENV":
			env = append(env, strings.Fields(arg)...)
		case "WORKDIR":
			if arg != "/src" {
				t.Fatalf("%s: WORKDIR %s", rel, arg)
			}
			dir = repo
		case "COPY":
			// The build context is the repository: the copy already holds it.
		case "RUN":
			if r := run(t, cmd{dir: dir, env: env}, "bash", "-euc", arg); r.code != 0 {
				t.Fatalf("%s: RUN %s: %s", rel, in[1], r)
			}
		default:
			t.Fatalf("%s: unexpected %s in the build stage", rel, in[0])
		}
	}
	return out, stages
}

// finalStage checks the last stage's COPY --from=build sources exist in out and returns the
// stage's USER and the destinations of the copied files.
func finalStage(t *testing.T, rel, out string, s *stage) (user string, copied []string) {
	t.Helper()
	for _, in := range s.instrs {
		switch in[0] {
		case "COPY":
			f := strings.Fields(in[1])
			if f[0] != "--from=build" {
				t.Fatalf("%s: COPY %s", rel, in[1])
			}
			dst := f[len(f)-1]
			for _, src := range f[1 : len(f)-1] {
				local := strings.Replace(src, "/out", out, 1)
				if _, err := os.Stat(local); err != nil {
					t.Errorf("%s: COPY source %s was not built: %v", rel, src, err)
				}
				if strings.HasSuffix(dst, "/") {
					copied = append(copied, dst+filepath.Base(src))
				} else {
					copied = append(copied, dst)
				}
			}
		case "USER":
			user = in[1]
		}
	}
	return user, copied
}

// TestDockerfiles runs the build stage of each Dockerfile here (no container engine on this
// machine: the binaries are tested, not the images), then checks the final stage: the project's
// image is distroless/static and non-root with a static binary that prints the build version;
// the CMP sidecar image holds the tool versions the tests run, as user 999; the repo-server
// image adds argo-metrics-gen to the Argo CD image.
func TestDockerfiles(t *testing.T) {
	need(t)
	t.Run("Dockerfile", func(t *testing.T) {
		out, stages := runBuildStage(t, "Dockerfile", map[string]string{"VERSION": testVersion})
		final := stages[len(stages)-1]
		if !strings.HasPrefix(final.from, "gcr.io/distroless/static") {
			t.Errorf("final stage FROM %s, want distroless/static", final.from)
		}
		user, copied := finalStage(t, "Dockerfile", out, final)
		if !strings.HasPrefix(user, "nonroot") {
			t.Errorf("USER %q, want nonroot", user)
		}
		bin := filepath.Join(out, "argo-metrics-gen")
		checkStatic(t, bin)
		if v := ok(t, cmd{}, bin, "version"); v != "argo-metrics-gen "+testVersion+"\n" {
			t.Errorf("version %q", v)
		}
		var entry string
		for _, in := range final.instrs {
			if in[0] == "ENTRYPOINT" {
				entry = in[1]
			}
		}
		if len(copied) != 1 || entry != `["`+copied[0]+`"]` {
			t.Errorf("ENTRYPOINT %s does not run the copied binary %v", entry, copied)
		}
	})
	t.Run("integrations/argocd-cmp/Dockerfile", func(t *testing.T) {
		rel := "integrations/argocd-cmp/Dockerfile"
		out, stages := runBuildStage(t, rel, map[string]string{"VERSION": testVersion})
		user, copied := finalStage(t, rel, out, stages[len(stages)-1])
		if user != "999" {
			t.Errorf("USER %q: Argo CD runs CMP sidecars as 999", user)
		}
		slices.Sort(copied)
		if want := []string{"/usr/local/bin/argo-metrics-gen", "/usr/local/bin/helm", "/usr/local/bin/kustomize"}; !slices.Equal(copied, want) {
			t.Errorf("copied %v, want %v", copied, want)
		}
		for name, want := range map[string]string{"kustomize": tools.kustomizeVersion, "helm": tools.helm4Version} {
			args := []string{"version"}
			if name == "helm" {
				args = append(args, "--short")
			}
			if got := ok(t, cmd{}, filepath.Join(out, name), args...); !strings.HasPrefix(got, want) {
				t.Errorf("the sidecar's %s is %q, the tests run %s", name, got, want)
			}
			checkStatic(t, filepath.Join(out, name))
		}
		checkStatic(t, filepath.Join(out, "argo-metrics-gen"))
		if !regexp.MustCompile(`^debian:\d+-slim$`).MatchString(stages[len(stages)-1].from) {
			t.Errorf("the sidecar needs bash (plugin.yaml runs bash -c): FROM %s", stages[len(stages)-1].from)
		}
	})
	t.Run("examples/argocd/repo-server.Dockerfile", func(t *testing.T) {
		rel := "examples/argocd/repo-server.Dockerfile"
		out, stages := runBuildStage(t, rel, map[string]string{"VERSION": testVersion})
		final := stages[len(stages)-1]
		if final.from != "quay.io/argoproj/argocd:${ARGOCD_VERSION}" {
			t.Errorf("final stage FROM %s", final.from)
		}
		if _, copied := finalStage(t, rel, out, final); !slices.Equal(copied, []string{"/usr/local/bin/argo-metrics-gen"}) {
			t.Errorf("copied %v", copied)
		}
		checkStatic(t, filepath.Join(out, "argo-metrics-gen"))
	})
}
