package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"slices"
	"strconv"
	"strings"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/raster"
)

// imageForm is a request that carries images, as multipart/form-data parts
// or as base64 strings in a JSON object, plus plain fields.
type imageForm struct {
	images map[string][]byte
	fields map[string]string
}

// parseImageForm reads the image parts named in want (and any plain fields)
// from a multipart or JSON body. A part whose declared type is an image type
// must hold that type: a PNG sent as image/jpeg is refused.
func parseImageForm(contentType string, body []byte, want ...string) (*imageForm, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, kyc.Errorf(kyc.UnsupportedMedia, "send multipart/form-data or application/json")
	}
	f := &imageForm{images: map[string][]byte{}, fields: map[string]string{}}
	switch mt {
	case "multipart/form-data":
		parts, err := readParts(params["boundary"], body)
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			if !slices.Contains(want, p.name) {
				if len(p.data) > 1024 {
					return nil, kyc.Errorf(kyc.Invalid, "unexpected part %q", p.name)
				}
				f.fields[p.name] = strings.TrimSpace(string(p.data))
				continue
			}
			if err := checkDeclared(p.contentType, p.data, p.name); err != nil {
				return nil, err
			}
			f.images[p.name] = p.data
		}
	case "application/json":
		var raw map[string]any
		if err := json.Unmarshal(body, &raw); err != nil {
			return nil, kyc.Errorf(kyc.Invalid, "the JSON body is malformed: %v", err)
		}
		for k, v := range raw {
			s, ok := v.(string)
			if !slices.Contains(want, k) {
				if num, isNum := v.(float64); isNum {
					f.fields[k] = strconv.FormatFloat(num, 'f', -1, 64)
				} else if ok {
					f.fields[k] = s
				}
				continue
			}
			if !ok {
				return nil, kyc.Errorf(kyc.Invalid, "%s must be a base64 string", k)
			}
			if i := strings.Index(s, ";base64,"); strings.HasPrefix(s, "data:") && i > 0 {
				s = s[i+len(";base64,"):]
			}
			data, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, kyc.Errorf(kyc.Invalid, "%s is not valid base64", k)
			}
			f.images[k] = data
		}
	default:
		return nil, kyc.Errorf(kyc.UnsupportedMedia, "send multipart/form-data or application/json, not %s", mt)
	}
	return f, nil
}

// formPart is one part of a multipart body, in order.
type formPart struct {
	name, contentType string
	data              []byte
}

// multipartParts reads every part of a multipart/form-data body.
func multipartParts(contentType string, body []byte) ([]formPart, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" {
		return nil, kyc.Errorf(kyc.UnsupportedMedia, "send multipart/form-data")
	}
	return readParts(params["boundary"], body)
}

func readParts(boundary string, body []byte) ([]formPart, error) {
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	var parts []formPart
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			return parts, nil
		}
		if err != nil {
			return nil, kyc.Errorf(kyc.Invalid, "the multipart body is malformed")
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, kyc.Errorf(kyc.Invalid, "the multipart body is malformed")
		}
		parts = append(parts, formPart{name: p.FormName(), contentType: p.Header.Get("Content-Type"), data: data})
	}
}

// checkDeclared refuses a part whose declared image type is not what it
// holds; parts declared as octet-stream or not at all are judged by content.
func checkDeclared(declared string, data []byte, name string) error {
	mt, _, _ := mime.ParseMediaType(declared)
	if !strings.HasPrefix(mt, "image/") {
		return nil
	}
	switch mt {
	case "image/jpg", "image/pjpeg":
		mt = "image/jpeg"
	case "image/heif": // what some phones declare for their HEIC photos
		mt = "image/heic"
	}
	actual := raster.Sniff(data)
	if actual == "" {
		return kyc.Errorf(kyc.UnsupportedMedia, "%s must be a %s image", name, raster.Accepted)
	}
	if string(actual) != mt {
		return kyc.Errorf(kyc.UnsupportedMedia, "%s is declared %s but holds %s", name, mt, actual)
	}
	return nil
}

// documentSides reads a document's sides from the form: when the front is
// a scanned PDF and no back was sent, its first two pages are the front and
// the back (a scanner puts both sides of a card in one file).
func (f *imageForm) documentSides(lim raster.Limits) (front, back []byte, err error) {
	front, back = f.images["front"], f.images["back"]
	if len(front) == 0 {
		return nil, nil, kyc.Errorf(kyc.Invalid, "the image \"front\" is missing")
	}
	if len(back) > 0 || raster.Sniff(front) != raster.PDF {
		return front, back, nil
	}
	pages, err := raster.PDFPages(front, lim, 2)
	if err != nil {
		return nil, nil, naming("front", err)
	}
	front = pages[0]
	if len(pages) > 1 {
		back = pages[1]
	}
	return front, back, nil
}

// image decodes a named image of the form.
func (f *imageForm) image(name string, lim raster.Limits) (*raster.Image, error) {
	data, ok := f.images[name]
	if !ok || len(data) == 0 {
		return nil, kyc.Errorf(kyc.Invalid, "the image %q is missing", name)
	}
	img, err := raster.Decode(data, lim)
	if err != nil {
		return nil, naming(name, err)
	}
	return img, nil
}

// naming prefixes a coded error's message with the image it is about.
func naming(name string, err error) error {
	var ke *kyc.Error
	if errors.As(err, &ke) {
		return &kyc.Error{Code: ke.Code, Message: name + ": " + ke.Message}
	}
	return err
}
