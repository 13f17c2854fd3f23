package api

import (
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/raster"
)

// BoundingBox is a rectangle as ratios (0–1) of the image's width and height.
type BoundingBox struct {
	Left   float64 `json:"left"`
	Top    float64 `json:"top"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// Landmark is a named point, as ratios of the image.
type Landmark struct {
	Type string  `json:"type" doc:"eyeLeft, eyeRight, nose, mouthLeft, mouthRight (left and right as seen in the image), then p0–p67 of the 68-point scheme"`
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
}

// BoolValue is a yes/no attribute with its confidence (0–100).
type BoolValue struct {
	Value      bool    `json:"value"`
	Confidence float64 `json:"confidence"`
}

// FaceDetail describes one detected face.
type FaceDetail struct {
	BoundingBox BoundingBox  `json:"bounding_box"`
	Confidence  float64      `json:"confidence" doc:"detection confidence, 0–100"`
	Landmarks   []Landmark   `json:"landmarks,omitempty"`
	Pose        *PoseBody    `json:"pose,omitempty"`
	Quality     *FaceQuality `json:"quality,omitempty"`
	EyesOpen    *BoolValue   `json:"eyes_open,omitempty"`
	Smile       *BoolValue   `json:"smile,omitempty"`
	SpoofScore  *float64     `json:"spoof_score,omitempty" doc:"0–100: how likely the face is a photo, screen or mask (passive model; weak on screens)"`
	AgeRange    *AgeRange    `json:"age_range,omitempty"`
	Gender      *GenderValue `json:"gender,omitempty"`
}

// PoseBody is the head's rotation in degrees.
type PoseBody struct {
	Yaw   float64 `json:"yaw" doc:"degrees; positive: the face turns towards the image's left"`
	Pitch float64 `json:"pitch" doc:"degrees; positive: looking up"`
	Roll  float64 `json:"roll" doc:"degrees"`
}

// FaceQuality is how usable the face's pixels are.
type FaceQuality struct {
	Brightness float64 `json:"brightness" doc:"0–100, mean luminance of the face"`
	Sharpness  float64 `json:"sharpness" doc:"0–100, from the variance of the Laplacian"`
}

// AgeRange is an estimated age in years.
type AgeRange struct {
	Low  int `json:"low"`
	High int `json:"high"`
}

// GenderValue is an estimated gender with its confidence (0–100).
type GenderValue struct {
	Value      string  `json:"value" enum:"Male,Female"`
	Confidence float64 `json:"confidence"`
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func boolValue(p float64) *BoolValue {
	return &BoolValue{Value: p >= 0.5, Confidence: round(100*math.Max(p, 1-p), 1)}
}

// faceDetail converts a face, its coordinates as ratios of img.
func faceDetail(img *raster.Image, f *face.Face, full bool) FaceDetail {
	w, h := float64(img.W), float64(img.H)
	d := FaceDetail{
		BoundingBox: BoundingBox{Left: round(f.Box.X/w, 4), Top: round(f.Box.Y/h, 4), Width: round(f.Box.W/w, 4), Height: round(f.Box.H/h, 4)},
		Confidence:  round(100*f.Confidence, 2),
	}
	if !full {
		return d
	}
	pt := func(name string, p face.Point) Landmark {
		return Landmark{Type: name, X: round(p.X/w, 4), Y: round(p.Y/h, 4)}
	}
	d.Landmarks = []Landmark{pt("eyeLeft", f.EyeLeft()), pt("eyeRight", f.EyeRight()), pt("nose", f.Nose()),
		pt("mouthLeft", f.MouthLeft()), pt("mouthRight", f.MouthRight())}
	for i, p := range f.Landmarks {
		d.Landmarks = append(d.Landmarks, pt("p"+strconv.Itoa(i), p))
	}
	if f.Pose != nil {
		d.Pose = &PoseBody{round(f.Pose.Yaw, 1), round(f.Pose.Pitch, 1), round(f.Pose.Roll, 1)}
	}
	if f.Has(face.AttrQuality) {
		d.Quality = &FaceQuality{round(f.Brightness, 1), round(f.Sharpness, 1)}
	}
	if f.Has(face.AttrEyes) {
		d.EyesOpen = boolValue(f.EyesOpen)
	}
	if f.Has(face.AttrSmile) {
		d.Smile = boolValue(f.Smile)
	}
	if f.Has(face.AttrSpoof) {
		s := round(100*(1-f.Real), 1)
		d.SpoofScore = &s
	}
	if f.Has(face.AttrAgeGender) {
		// SSR-Net's error is about ±5 years on its benchmarks.
		d.AgeRange = &AgeRange{max(0, int(math.Round(f.Age))-5), int(math.Round(f.Age)) + 5}
		g := "Female"
		if f.Male >= 0.5 {
			g = "Male"
		}
		d.Gender = &GenderValue{g, round(100*math.Max(f.Male, 1-f.Male), 1)}
	}
	return d
}

// imageInput is the raw body of an operation that takes images.
type imageInput struct {
	ContentType string `header:"Content-Type"`
	RawBody     []byte
}

// imageBody documents a request of image parts (required unless listed in
// optional) and plain fields, as multipart or as base64 JSON.
func imageBody(doc string, parts map[string]string, fields map[string]string, optional ...string) *huma.RequestBody {
	props := map[string]*huma.Schema{}
	jsonProps := map[string]*huma.Schema{}
	var required []string
	for name, d := range parts {
		props[name] = &huma.Schema{Type: "string", Format: "binary", Description: d}
		jsonProps[name] = &huma.Schema{Type: "string", ContentEncoding: "base64", Description: d}
		if !slices.Contains(optional, name) {
			required = append(required, name)
		}
	}
	slices.Sort(required)
	for name, d := range fields {
		props[name] = &huma.Schema{Type: "string", Description: d}
		jsonProps[name] = &huma.Schema{Type: "number", Description: d}
	}
	return &huma.RequestBody{Description: doc, Required: true, Content: map[string]*huma.MediaType{
		"multipart/form-data": {Schema: &huma.Schema{Type: "object", Properties: props, Required: required}},
		"application/json":    {Schema: &huma.Schema{Type: "object", Properties: jsonProps, Required: required}},
	}}
}

// DetectOutput answers /v1/faces/detect.
type DetectOutput struct {
	Body struct {
		Faces []FaceDetail `json:"faces"`
		Image struct {
			Width  int `json:"width"`
			Height int `json:"height"`
		} `json:"image" doc:"the analysed image's size, after its EXIF orientation was applied"`
	}
}

// CompareOutput answers /v1/faces/compare, like CompareFaces.
type CompareOutput struct {
	Body struct {
		Similarity  float64      `json:"similarity" doc:"the best target face's similarity to the source face, 0–100"`
		Match       bool         `json:"match" doc:"a target face is at or above the threshold"`
		Threshold   float64      `json:"threshold"`
		SourceFace  FaceDetail   `json:"source_face"`
		FaceMatches []FaceMatch  `json:"face_matches" doc:"target faces at or above the threshold, most similar first"`
		Unmatched   []FaceDetail `json:"unmatched_faces"`
	}
}

// FaceMatch is a target face that matches the source.
type FaceMatch struct {
	Similarity float64    `json:"similarity"`
	Face       FaceDetail `json:"face"`
}

// The face routes.
func (s *Server) registerFaces() {
	s.register(
		handle(signedIn, huma.Operation{Method: http.MethodPost, Path: "/v1/faces/detect", OperationID: "detect-faces", Tags: []string{"Faces"},
			Summary: "Find and describe the faces in an image", Errors: []int{400, 413, 415, 429, 503},
			MaxBodyBytes: s.opts.MaxBodyBytes, SkipValidateBody: true,
			Description: "Like DetectFaces: every face, largest first, with its box, landmarks, head pose, quality, eyes, smile, " +
				"spoof score, age range and gender. " + raster.Accepted + "; the EXIF (or TIFF) orientation is applied. 413 too_large above the pixel limit.",
			RequestBody: imageBody("the image", map[string]string{"image": raster.Accepted}, nil),
		}, s.detectFaces),
		handle(signedIn, huma.Operation{Method: http.MethodPost, Path: "/v1/faces/compare", OperationID: "compare-faces", Tags: []string{"Faces"},
			Summary: "Compare the largest face of one image with every face of another", Errors: []int{400, 413, 415, 422, 429, 503},
			MaxBodyBytes: s.opts.MaxBodyBytes, SkipValidateBody: true,
			Description: "Like CompareFaces. Similarity is 0–100, calibrated from the embeddings' cosine (docs/accuracy.md); " +
				"the default threshold, 80, keeps false matches at or under 0.1% on the evaluation set. 422 no_face when either image has no face.",
			RequestBody: imageBody("the two images", map[string]string{"source": "the reference face, e.g. the selfie", "target": "the image to search, e.g. the ID document"},
				map[string]string{"similarity_threshold": "0–100, default 80"}),
		}, s.compareFaces),
	)
}

func (s *Server) imageLimits() raster.Limits { return raster.Limits{MaxPixels: s.opts.MaxImagePixels} }

func (s *Server) detectFaces(ctx context.Context, in *imageInput) (*DetectOutput, error) {
	form, err := parseImageForm(in.ContentType, in.RawBody, "image")
	if err != nil {
		return nil, err
	}
	img, err := form.image("image", s.imageLimits())
	if err != nil {
		return nil, err
	}
	faces, err := s.opts.Faces.Detect(ctx, img, face.AttrAll)
	if err != nil {
		return nil, err
	}
	out := &DetectOutput{}
	out.Body.Faces = make([]FaceDetail, len(faces))
	for i, f := range faces {
		out.Body.Faces[i] = faceDetail(img, f, true)
	}
	out.Body.Image.Width, out.Body.Image.Height = img.W, img.H
	return out, nil
}

func (s *Server) compareFaces(ctx context.Context, in *imageInput) (*CompareOutput, error) {
	form, err := parseImageForm(in.ContentType, in.RawBody, "source", "target")
	if err != nil {
		return nil, err
	}
	threshold := face.DefaultThreshold
	if v, ok := form.fields["similarity_threshold"]; ok && v != "" {
		t, err := strconv.ParseFloat(v, 64)
		if err != nil || !(t >= 0 && t <= 100) { // also refuses NaN, which no comparison matches
			return nil, kyc.Errorf(kyc.Invalid, "similarity_threshold must be a number from 0 to 100")
		}
		threshold = t
	}
	src, err := form.image("source", s.imageLimits())
	if err != nil {
		return nil, err
	}
	tgt, err := form.image("target", s.imageLimits())
	if err != nil {
		return nil, err
	}
	c, err := s.opts.Faces.Compare(ctx, src, tgt, threshold)
	if err != nil {
		return nil, err
	}
	out := &CompareOutput{}
	out.Body.Threshold = threshold
	out.Body.SourceFace = faceDetail(src, c.Source, false)
	out.Body.FaceMatches = []FaceMatch{}
	out.Body.Unmatched = []FaceDetail{}
	for _, m := range c.Matches {
		out.Body.FaceMatches = append(out.Body.FaceMatches, FaceMatch{Similarity: round(m.Similarity, 2), Face: faceDetail(tgt, m.Face, false)})
	}
	for _, m := range c.Unmatched {
		out.Body.Unmatched = append(out.Body.Unmatched, faceDetail(tgt, m.Face, false))
	}
	if b := c.Best(); b != nil {
		out.Body.Similarity = round(b.Similarity, 2)
	}
	out.Body.Match = len(c.Matches) > 0
	return out, nil
}
