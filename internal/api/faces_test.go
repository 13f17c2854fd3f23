package api_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycd/kycd/internal/testenv"
)

type part struct {
	name, filename, contentType string
	data                        []byte
}

// multipartDo sends parts as multipart/form-data.
func (e *env) multipartDo(path string, c cred, parts ...part) res {
	e.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.filename != "" {
			h.Set("Content-Disposition", `form-data; name="`+p.name+`"; filename="`+p.filename+`"`)
		} else {
			h.Set("Content-Disposition", `form-data; name="`+p.name+`"`)
		}
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		pw, _ := w.CreatePart(h)
		pw.Write(p.data)
	}
	w.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return e.send(req, c)
}

func testPhoto(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.TestData(t), "faces", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestFacesDetect(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.newUser("faces@example.com")
	r := e.must(e.multipartDo("/v1/faces/detect", cred{bearer: u.access},
		part{"image", "couple.jpg", "image/jpeg", testPhoto(t, "deepface/couple.jpg")}), 200)
	faces := r.body["faces"].([]any)
	if len(faces) != 2 {
		t.Fatalf("%d faces, want 2: %s", len(faces), r.raw)
	}
	f := faces[0].(map[string]any)
	for _, key := range []string{"bounding_box", "confidence", "landmarks", "pose", "quality", "eyes_open", "smile", "spoof_score", "age_range", "gender"} {
		if _, ok := f[key]; !ok {
			t.Errorf("face lacks %s", key)
		}
	}
	box := f["bounding_box"].(map[string]any)
	if l, w := box["left"].(float64), box["width"].(float64); l < 0 || l > 1 || w <= 0 || w > 1 {
		t.Errorf("bounding box not in ratios: %v", box)
	}
	if n := len(f["landmarks"].([]any)); n != 73 {
		t.Errorf("%d landmarks, want 5 named + 68", n)
	}
	r = e.must(e.multipartDo("/v1/faces/detect", cred{bearer: u.access},
		part{"image", "blank.png", "image/png", encodePNG(t, image.NewGray(image.Rect(0, 0, 300, 200)))}), 200)
	if n := len(r.body["faces"].([]any)); n != 0 {
		t.Errorf("a blank image: %d faces", n)
	}
}

func TestFacesCompare(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.newUser("compare@example.com")
	c := cred{bearer: u.access}
	img1, img2, other := testPhoto(t, "deepface/img1.jpg"), testPhoto(t, "deepface/img2.jpg"), testPhoto(t, "deepface/img3.jpg")

	r := e.must(e.multipartDo("/v1/faces/compare", c, part{"source", "", "image/jpeg", img1}, part{"target", "", "image/jpeg", img2}), 200)
	if r.body["match"] != true || r.body["similarity"].(float64) < 80 || r.body["threshold"].(float64) != 80 || len(r.body["face_matches"].([]any)) != 1 {
		t.Errorf("same person: %s", r.raw)
	}
	r = e.must(e.multipartDo("/v1/faces/compare", c, part{"source", "", "", img1}, part{"target", "", "", other},
		part{"similarity_threshold", "", "", []byte("90")}), 200)
	if r.body["match"] != false || r.body["threshold"].(float64) != 90 || len(r.body["unmatched_faces"].([]any)) != 1 {
		t.Errorf("different people: %s", r.raw)
	}
	// The same in JSON with base64 images.
	jr := e.must(e.do("POST", "/v1/faces/compare", map[string]any{"source": b64(img1), "target": b64(img2), "similarity_threshold": 70}, c), 200)
	if jr.body["match"] != true || jr.body["threshold"].(float64) != 70 {
		t.Errorf("JSON compare: %s", jr.raw)
	}
	// Thresholds no comparison can meet are refused as such, with JSON.
	for _, bad := range []string{"NaN", "nan", "+Inf", "-1", "100.5", "1e400", "eighty"} {
		r := e.multipartDo("/v1/faces/compare", c, part{"source", "", "", img1}, part{"target", "", "", img2},
			part{"similarity_threshold", "", "", []byte(bad)})
		if r.status != 400 || r.code() != "invalid" {
			t.Errorf("similarity_threshold=%s = %d %s, want 400 invalid", bad, r.status, r.raw)
		}
	}
}

func TestFacesBadImages(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.newUser("bad@example.com")
	c := cred{bearer: u.access}
	good := testPhoto(t, "deepface/img1.jpg")
	pngFace := testPhoto(t, "faceapi/amy1.png")
	var tiny bytes.Buffer
	jpeg.Encode(&tiny, image.NewRGBA(image.Rect(0, 0, 1, 1)), nil)
	blank := encodePNG(t, image.NewGray(image.Rect(0, 0, 300, 200)))
	tests := []struct {
		name   string
		parts  []part
		status int
		code   string
	}{
		{"no face in source", []part{{"source", "", "image/png", blank}, {"target", "", "image/jpeg", good}}, 422, "no_face"},
		{"no face in target", []part{{"source", "", "image/jpeg", good}, {"target", "", "image/png", blank}}, 422, "no_face"},
		{"PNG named .jpg", []part{{"source", "photo.jpg", "image/jpeg", pngFace}, {"target", "", "image/jpeg", good}}, 415, "unsupported_media"},
		{"truncated JPEG", []part{{"source", "", "image/jpeg", good[:len(good)/3]}, {"target", "", "image/jpeg", good}}, 400, "invalid"},
		{"1×1 image", []part{{"source", "", "image/jpeg", tiny.Bytes()}, {"target", "", "image/jpeg", good}}, 400, "invalid"},
		{"20000×20000 image", []part{{"source", "", "image/png", testenv.PNGHeader(20000, 20000)}, {"target", "", "image/jpeg", good}}, 413, "too_large"},
		{"a text file", []part{{"source", "", "", []byte("just some text, not a picture at all")}, {"target", "", "", good}}, 415, "unsupported_media"},
		{"missing target", []part{{"source", "", "image/jpeg", good}}, 400, "invalid"},
		{"bad threshold", []part{{"source", "", "", good}, {"target", "", "", good}, {"similarity_threshold", "", "", []byte("150")}}, 400, "invalid"},
	}
	for _, tt := range tests {
		r := e.multipartDo("/v1/faces/compare", c, tt.parts...)
		if r.status != tt.status || r.code() != tt.code || !strings.Contains(r.raw, "request_id") {
			t.Errorf("%s: %d %s, want %d %s", tt.name, r.status, r.raw, tt.status, tt.code)
		}
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/faces/detect", strings.NewReader("x"))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Authorization", "Bearer "+u.access)
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 415 {
		t.Errorf("text/plain body = %d, want 415", resp.StatusCode)
	}
	if r := e.multipartDo("/v1/faces/detect", cred{}, part{"image", "", "image/jpeg", good}); r.status != 401 {
		t.Errorf("anonymous detect = %d, want 401", r.status)
	}
}

func encodePNG(t *testing.T, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
