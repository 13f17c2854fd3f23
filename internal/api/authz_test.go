package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
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
	public       rule = iota // anyone; the answer does not depend on who asks
	signedIn                 // any user or API key
	person                   // a signed-in user, not an API key
	adminOnly                // the admin role
	starter                  // an applicant (their own case) or an integrator's API key
	viewer                   // the case's owner, reviewers, admins; other applicants and integrators get 404
	driver                   // the case's owner; other applicants and integrators 404, reviewers and admins 403
	reviewerOnly             // reviewers and admins (users or API keys); applicants and integrators 403
	eraser                   // the case's owner or an admin (user or API key); other applicants and integrators 404, others 403
	integrator               // an integrator's API key (its own sessions: others' are 404)
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
	"POST /v1/auth/confirm":                       {public, func(u *user) any { return map[string]string{"email": u.email, "code": "000000"} }},
	"POST /v1/auth/resend-code":                   {public, func(u *user) any { return map[string]string{"email": u.email} }},
	"POST /v1/auth/signin":                        {public, func(u *user) any { return map[string]string{"email": u.email, "password": "x-wrong-x"} }},
	"POST /v1/auth/refresh":                       {public, func(u *user) any { return map[string]string{"refresh_token": "krt_x"} }},
	"POST /v1/auth/forgot-password":               {public, func(u *user) any { return map[string]string{"email": u.email} }},
	"POST /v1/auth/reset-password":                {public, func(u *user) any { return map[string]string{"email": u.email, "code": "1", "new_password": "x"} }},
	"GET /v1/dev/mailbox":                         {public, nil},
	"POST /v1/auth/signout":                       {signedIn, nil},
	"POST /v1/auth/change-password":               {person, func(*user) any { return map[string]string{"current_password": "x", "new_password": "y"} }},
	"POST /v1/auth/totp/setup":                    {person, nil},
	"POST /v1/auth/totp/verify":                   {person, func(*user) any { return map[string]string{"code": "000000"} }},
	"GET /v1/me":                                  {person, nil},
	"GET /v1/admin/users":                         {adminOnly, nil},
	"POST /v1/admin/users/{id}/roles":             {adminOnly, func(*user) any { return map[string]any{"roles": []string{"applicant"}} }},
	"POST /v1/admin/users/{id}/disable":           {adminOnly, nil},
	"POST /v1/admin/users/{id}/enable":            {adminOnly, nil},
	"POST /v1/api-keys":                           {adminOnly, func(*user) any { return map[string]any{"name": "k", "roles": []string{"reviewer"}} }},
	"GET /v1/api-keys":                            {adminOnly, nil},
	"DELETE /v1/api-keys/{id}":                    {adminOnly, nil},
	"PUT /v1/api-keys/{id}/embed-origins":         {adminOnly, func(*user) any { return map[string]any{"embed_origins": []string{}} }},
	"GET /v1/admin/audit":                         {adminOnly, nil},
	"POST /v1/verifications":                      {starter, func(*user) any { return map[string]string{"reference": "crm-1"} }},
	"GET /v1/verifications/{id}":                  {viewer, nil},
	"POST /v1/verifications/{id}/liveness":        {driver, nil},
	"GET /v1/liveness/{session_id}":               {viewer, nil},
	"GET /v1/liveness/{session_id}/images/{name}": {viewer, nil},
	"POST /v1/liveness/{session_id}/frames":       {driver, func(*user) any { return map[string]string{} }},
	"POST /v1/verifications/{id}/documents":       {driver, func(*user) any { return map[string]string{"front": faceB64} }},
	"POST /v1/verifications/{id}/submit":          {driver, nil},
	"GET /v1/review/verifications":                {reviewerOnly, nil},
	"POST /v1/verifications/{id}/decision":        {reviewerOnly, func(*user) any { return map[string]string{"outcome": "approved"} }},
	"POST /v1/verifications/{id}/claim":           {reviewerOnly, nil},
	"DELETE /v1/verifications/{id}/claim":         {reviewerOnly, nil},
	"PUT /v1/verifications/{id}/dispute":          {driver, func(*user) any { return map[string]any{"fields": []string{"LAST_NAME"}} }},
	"DELETE /v1/verifications/{id}":               {eraser, nil},
	"GET /v1/verifications/{id}/audit":            {reviewerOnly, nil},
	"GET /v1/verifications/{id}/images/{name}":    {viewer, nil},
	"POST /v1/webhooks":                           {adminOnly, func(*user) any { return map[string]any{"url": "https://example.com/hook"} }},
	"GET /v1/webhooks":                            {adminOnly, nil},
	"GET /v1/webhooks/{id}/deliveries":            {adminOnly, nil},
	"POST /v1/webhooks/deliveries/{id}/replay":    {adminOnly, nil},
	"POST /v1/entities/detect":                    {signedIn, func(*user) any { return map[string]any{"text": "Surname: Doe", "types": []string{"pii"}} }},
	"POST /v1/faces/detect":                       {signedIn, func(*user) any { return map[string]string{"image": faceB64} }},
	"POST /v1/documents/analyze":                  {signedIn, func(*user) any { return map[string]string{"front": faceB64} }},
	"POST /v1/faces/compare":                      {signedIn, func(*user) any { return map[string]string{"source": faceB64, "target": faceB64} }},
	"POST /v1/verification-sessions":              {integrator, func(*user) any { return map[string]string{"reference": "r"} }},
	"GET /v1/verification-sessions":               {integrator, nil},
	"GET /v1/verification-sessions/{id}":          {integrator, nil},
	"POST /v1/verification-sessions/{id}/cancel":  {integrator, nil},
}

// faceB64 is a small photograph with one face, base64-encoded; a test that
// sends it calls needFace first.
var faceB64 string

func needFace(t testing.TB) {
	t.Helper()
	if faceB64 == "" {
		faceB64 = base64.StdEncoding.EncodeToString(mustReadFile(t, filepath.Join(testenv.TestData(t), "faces", "face_recognition", "examples__obama-240p.jpg")))
	}
}

func mustReadFile(t testing.TB, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// principals are the callers of the matrix.
var principals = []string{"anonymous", "applicant", "other applicant", "reviewer", "admin",
	"api key (integrator)", "api key (reviewer)", "api key (admin)", "verification link"}

// stranger: a principal that may not learn that another's case exists
// (the verification link is a browser that opened another case's link).
func stranger(principal string) bool {
	return principal == "other applicant" || principal == "api key (integrator)" || principal == "verification link"
}

// allowed says whether rule lets principal through.
func allowed(r rule, principal string) bool {
	switch r {
	case public:
		return true
	case signedIn:
		return principal != "anonymous" && principal != "verification link"
	case person:
		return principal != "anonymous" && principal != "verification link" && !strings.HasPrefix(principal, "api key")
	case integrator:
		return principal == "api key (integrator)"
	case starter:
		return principal == "applicant" || principal == "other applicant" || principal == "api key (integrator)"
	case viewer:
		return principal != "anonymous" && !stranger(principal)
	case driver:
		return principal == "applicant"
	case reviewerOnly:
		return principal == "reviewer" || principal == "admin" || principal == "api key (reviewer)" || principal == "api key (admin)"
	case eraser:
		return principal == "applicant" || principal == "admin" || principal == "api key (admin)"
	default:
		return principal == "admin" || principal == "api key (admin)"
	}
}

// denied is the status a refused principal gets: 401 when anonymous, 404
// for another applicant's case (its existence is not revealed), else 403.
func denied(r rule, principal string) int {
	switch {
	case principal == "anonymous":
		return 401
	case (r == viewer || r == driver || r == eraser && principal != "verification link") && stranger(principal):
		return 404
	}
	return 403
}

// TestAuthorizationMatrix calls every route as every kind of principal and
// checks that exactly the allowed ones get past authorization (anything but
// 401 and 403) and the others get 401 (anonymous) or 403.
func TestAuthorizationMatrix(t *testing.T) {
	needFace(t)
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
			if who == "applicant" {
				c = cred{bearer: target.access} // the case's own applicant
			}
			method, path, _ := strings.Cut(op, " ")
			path = e.fillPath(path, target)
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
			refused := r.status == 401 || r.status == 403
			switch {
			case allowed(spec.rule, who) && spec.rule != public && refused:
				t.Errorf("%s as %s = %d %s, want allowed", op, who, r.status, r.raw)
			case !allowed(spec.rule, who) && r.status != denied(spec.rule, who):
				t.Errorf("%s as %s = %d, want %d", op, who, r.status, denied(spec.rule, who))
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
	case "verification link":
		e.withRoles(u, kyc.RoleAdmin)
		k := e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": who, "roles": []string{"integrator"}}, cred{bearer: u.access}), 201)
		sess := e.must(e.do("POST", "/v1/verification-sessions", map[string]any{}, cred{bearer: k.str("key")}), 201)
		status, browser := e.openLink(sess.str("url"))
		if status != http.StatusSeeOther {
			e.t.Fatalf("opening a verification link = %d", status)
		}
		return cred{link: browser}
	case "api key (integrator)", "api key (reviewer)", "api key (admin)":
		e.withRoles(u, kyc.RoleAdmin)
		role := strings.TrimSuffix(strings.TrimPrefix(who, "api key ("), ")")
		k := e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": who, "roles": []string{role}}, cred{bearer: u.access}), 201)
		return cred{bearer: k.str("key")}
	}
	e.signIn(u, "")
	return cred{bearer: u.access}
}

// fillPath puts real ids into a route: the target user, a fresh API key,
// or the target's own verification and liveness session.
func (e *env) fillPath(path string, target *user) string {
	switch {
	case strings.HasPrefix(path, "/v1/api-keys/"):
		admin := e.newUser(fmt.Sprintf("keymaker-%s", target.email))
		e.withRoles(admin, kyc.RoleAdmin)
		e.signIn(admin, "")
		k := e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": "victim", "roles": []string{"reviewer"}}, cred{bearer: admin.access}), 201)
		return strings.ReplaceAll(path, "{id}", k.str("id"))
	case strings.HasPrefix(path, "/v1/verifications/"), strings.HasPrefix(path, "/v1/liveness/"):
		v := e.must(e.do("POST", "/v1/verifications", nil, cred{bearer: target.access}), 201)
		path = strings.ReplaceAll(path, "{id}", v.str("id"))
		if strings.Contains(path, "{session_id}") {
			l := e.must(e.do("POST", "/v1/verifications/"+v.str("id")+"/liveness", nil, cred{bearer: target.access}), 201)
			path = strings.ReplaceAll(path, "{session_id}", l.str("session_id"))
		}
		if strings.HasPrefix(path, "/v1/verifications/") {
			return strings.ReplaceAll(path, "{name}", "front")
		}
		return strings.ReplaceAll(path, "{name}", "reference")
	}
	return strings.ReplaceAll(path, "{id}", target.id)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
