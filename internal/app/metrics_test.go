package app_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/testenv"
)

// scrape reads a metrics page.
func scrape(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s = %d", url, res.StatusCode)
	}
	return string(b)
}

// sample is the value of the first series of a page whose line starts
// with prefix (name and labels); -1 when there is none.
func sample(page, prefix string) float64 {
	for _, line := range strings.Split(page, "\n") {
		if strings.HasPrefix(line, prefix) {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// TestMetrics (issue 17): with --metrics-addr, /metrics on that address
// has every family an operator watches, and each moves after one complete
// verification (liveness, document, decision, webhook); the labels carry
// no ids or personal data; the public address serves no metrics.
func TestMetrics(t *testing.T) {
	eng := testenv.FaceEngine(t)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer hook.Close()
	maddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	env := []string{"KYCD_DATA_DIR=" + t.TempDir(), "OMP_THREAD_LIMIT=1", "KYCD_METRICS_ADDR=" + maddr,
		"KYCD_LIVENESS_CHALLENGES=turn_left,look_up,light", "KYCD_WEBHOOK_ALLOW_PRIVATE=true"}
	p := startKycd(t, env...)
	murl := "http://" + maddr + "/metrics"
	if res, err := http.Get(p.url + "/metrics"); err == nil {
		res.Body.Close()
		if res.StatusCode == 200 {
			t.Error("the public address serves /metrics")
		}
	}
	before := scrape(t, murl)
	admin := api{t: t, base: p.url, token: adminToken(t, p.url, env)}
	admin.json("POST", "/v1/webhooks", map[string]any{"url": hook.URL}, 201)
	key := admin.json("POST", "/v1/api-keys", map[string]any{"name": "crm", "roles": []string{"integrator"}}, 201)["key"].(string)
	a := api{t: t, base: p.url, token: key}
	_, got := a.completeCase(eng, "m-1")
	var after string
	deadline := time.Now().Add(30 * time.Second)
	for { // the webhook's delivery is a job of its own
		after = scrape(t, murl)
		if sample(after, `kycd_webhook_deliveries_total{outcome="delivered"}`) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	status := got["status"].(string)
	for _, series := range []string{
		`kycd_http_requests_total{code="201",route="POST /v1/verifications"}`,
		`kycd_http_request_duration_seconds_count{route="POST /v1/liveness/{session_id}/frames"}`,
		`kycd_jobs_total{kind="verification_process",outcome="ok"}`,
		`kycd_jobs_total{kind="document_analyze"`,
		`kycd_job_duration_seconds_count{kind="verification_process"}`,
		`kycd_analysis_duration_seconds_count{stage="document_read"}`,
		`kycd_analysis_duration_seconds_count{stage="liveness_frame"}`,
		`kycd_analysis_duration_seconds_count{stage="portrait_embed"}`,
		`kycd_liveness_sessions_total{outcome="succeeded",reason="none"}`,
		`kycd_decisions_total{by="auto"`,
		`kycd_webhook_deliveries_total{outcome="delivered"}`,
		`kycd_blob_duration_seconds_count{op="put",outcome="ok"}`,
		`go_sql_wait_count_total{db_name="kycd"}`,
	} {
		if b, a := sample(before, series), sample(after, series); a <= max(b, 0) && !strings.HasPrefix(series, "go_sql") {
			t.Errorf("%s did not move: %v -> %v", series, b, a)
		} else if a < 0 {
			t.Errorf("no %s", series)
		}
	}
	if !strings.Contains(after, `kycd_decisions_total{by="auto",reason=`) || !strings.Contains(after, `status="`+status+`"`) {
		t.Errorf("no decision of status %s", status)
	}
	for _, family := range []string{"kycd_build_info", "kycd_queue_scrape_ok 1", "go_goroutines", "process_resident_memory_bytes", "go_sql_open_connections"} {
		if !strings.Contains(after, family) {
			t.Errorf("no %s", family)
		}
	}
	// No ids, no people: labels are routes, kinds, outcomes and codes.
	if m := regexp.MustCompile(`ver_[a-z0-9]+|liv_[a-z0-9]+|@example\.com|m-1"`).FindString(after); m != "" {
		t.Errorf("a metric label holds %q", m)
	}
}
