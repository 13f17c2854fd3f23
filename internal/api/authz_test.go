package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/testenv"
)

// Who may call a route.
type rule int

const (
	public    rule = iota // anyone; the answer does not depend on who asks
	signedIn              // any user or API key
	person                // a signed-in user, not an API key
	adminOnly             // the admin role
)

// routes is the authorization matrix's list: every operation of the API,
// who may call it, and a request that passes input validation. A route
// missing here fails TestAuthorizationMatrix.
var routes = map[string]struct {
	rule rule
	body func(target *user) any
}{
	"GET /healthz": {public, nil},
	"GET /readyz":  {public, nil},
	"POST /v1/auth/signup": {public, func(*user) any {
		return map[string]string{"email": "new@example.com", "password": "correct-horse-battery"}
	}},
	"POST /v1/auth/confirm":             {public, func(u *user) any { return map[string]string{"email": u.email, "code": "000000"} }},
	"POST /v1/auth/resend-code":         {public, func(u *user) any { return map[string]string{"email": u.email} }},
	"POST /v1/auth/signin":              {public, func(u *user) any { return map[string]string{"email": u.email, "password": "x-wrong-x"} }},
	"POST /v1/auth/refresh":             {public, func(u *user) any { return map[string]string{"refresh_token": "krt_x"} }},
	"POST /v1/auth/forgot-password":     {public, func(u *user) any { return map[string]string{"email": u.email} }},
	"POST /v1/auth/reset-password":      {public, func(u *user) any { return map[string]string{"email": u.email, "code": "1", "new_password": "x"} }},
	"GET /v1/dev/mailbox":               {public, nil},
	"POST /v1/auth/signout":             {signedIn, nil},
	"POST /v1/auth/change-password":     {person, func(*user) any { return map[string]string{"current_password": "x", "new_password": "y"} }},
	"POST /v1/auth/totp/setup":          {person, nil},
	"POST /v1/auth/totp/verify":         {person, func(*user) any { return map[string]string{"code": "000000"} }},
	"GET /v1/me":                        {person, nil},
	"GET /v1/admin/users":               {adminOnly, nil},
	"POST /v1/admin/users/{id}/roles":   {adminOnly, func(*user) any { return map[string]any{"roles": []string{"applicant"}} }},
	"POST /v1/admin/users/{id}/disable": {adminOnly, nil},
	"POST /v1/admin/users/{id}/enable":  {adminOnly, nil},
	"POST /v1/api-keys":                 {adminOnly, func(*user) any { return map[string]any{"name": "k", "roles": []string{"reviewer"}} }},
	"GET /v1/api-keys":                  {adminOnly, nil},
	"DELETE /v1/api-keys/{id}":          {adminOnly, nil},
	"GET /v1/admin/audit":               {adminOnly, nil},
	"POST /v1/faces/detect":             {signedIn, func(*user) any { return map[string]string{"image": faceB64} }},
	"POST /v1/faces/compare":            {signedIn, func(*user) any { return map[string]string{"source": faceB64, "target": faceB64} }},
}

// faceB64 is a small photograph with one face, base64-encoded.
var faceB64 = base64.StdEncoding.EncodeToString(mustReadFile(filepath.Join(testenv.TestData(), "faces", "face_recognition", "examples__obama-240p.jpg")))

func mustReadFile(p string) []byte {
	data, err := os.ReadFile(p)
	if err != nil {
		panic(err)
	}
	return data
}

// principals are the callers of the matrix.
var principals = []string{"anonymous", "applicant", "other applicant", "reviewer", "admin", "api key (reviewer)", "api key (admin)"}

// allowed says whether rule lets principal through.
func allowed(r rule, principal string) bool {
	switch r {
	case public:
		return true
	case signedIn:
		return principal != "anonymous"
	case person:
		return principal != "anonymous" && !strings.HasPrefix(principal, "api key")
	default:
		return principal == "admin" || principal == "api key (admin)"
	}
}

// TestAuthorizationMatrix calls every route as every kind of principal and
// checks that exactly the allowed ones get past authorization (anything but
// 401 and 403) and the others get 401 (anonymous) or 403.
func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t, envOptions{})
	ops := e.operations()
	for _, op := range ops {
		if _, ok := routes[op]; !ok {
			t.Errorf("route %s has no entry in the authorization matrix", op)
		}
	}
	for op := range routes {
		if !contains(ops, op) {
			t.Errorf("matrix entry %s names no route", op)
		}
	}
	n := 0
	for _, op := range ops {
		spec, ok := routes[op]
		if !ok {
			continue
		}
		for _, who := range principals {
			n++
			// Fresh accounts for each call: some routes revoke or change them.
			target := e.newUser(fmt.Sprintf("target%d@example.com", n))
			c := e.principal(who, n)
			method, path, _ := strings.Cut(op, " ")
			path = strings.ReplaceAll(path, "{id}", e.pathID(path, target))
			if op == "GET /v1/dev/mailbox" {
				path += "?to=" + target.email
			}
			var body any
			if spec.body != nil {
				body = spec.body(target)
			}
			r := e.do(method, path, body, c)
			if r.status == 422 {
				t.Errorf("%s as %s: the matrix's request is invalid: %s", op, who, r.raw)
				continue
			}
			denied := r.status == 401 || r.status == 403
			switch {
			case allowed(spec.rule, who) && spec.rule != public && denied:
				t.Errorf("%s as %s = %d, want allowed", op, who, r.status)
			case !allowed(spec.rule, who) && who == "anonymous" && r.status != 401:
				t.Errorf("%s as anonymous = %d, want 401", op, r.status)
			case !allowed(spec.rule, who) && who != "anonymous" && r.status != 403:
				t.Errorf("%s as %s = %d, want 403", op, who, r.status)
			}
		}
	}
	t.Logf("%d routes × %d principals checked", len(ops), len(principals))
}

// operations lists "METHOD /path" for every operation in the OpenAPI document.
func (e *env) operations() []string {
	r := e.must(e.do("GET", "/openapi.json", nil, cred{}), 200)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	json.Unmarshal([]byte(r.raw), &doc)
	var ops []string
	for path, methods := range doc.Paths {
		for m := range methods {
			ops = append(ops, strings.ToUpper(m)+" "+path)
		}
	}
	sort.Strings(ops)
	return ops
}

// principal signs in a new caller of the given kind.
func (e *env) principal(who string, n int) cred {
	if who == "anonymous" {
		return cred{}
	}
	u := e.newUser(fmt.Sprintf("p%d-%s@example.com", n, strings.NewReplacer(" ", "", "(", "", ")", "").Replace(who)))
	switch who {
	case "reviewer":
		e.withRoles(u, kyc.RoleReviewer)
	case "admin":
		e.withRoles(u, kyc.RoleAdmin)
	case "api key (reviewer)", "api key (admin)":
		e.withRoles(u, kyc.RoleAdmin)
		role := "reviewer"
		if who == "api key (admin)" {
			role = "admin"
		}
		k := e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": who, "roles": []string{role}}, cred{bearer: u.access}), 201)
		return cred{bearer: k.str("key")}
	}
	e.signIn(u, "")
	return cred{bearer: u.access}
}

// pathID is the id a route's {id} names: a user, or a fresh API key.
func (e *env) pathID(path string, target *user) string {
	if strings.HasPrefix(path, "/v1/api-keys/") {
		admin := e.newUser(fmt.Sprintf("keymaker-%s", target.email))
		e.withRoles(admin, kyc.RoleAdmin)
		e.signIn(admin, "")
		k := e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": "victim", "roles": []string{"reviewer"}}, cred{bearer: admin.access}), 201)
		return k.str("id")
	}
	return target.id
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
