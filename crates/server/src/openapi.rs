//! The OpenAPI 3.1 description of the API, served at `/openapi.json`. The tests call every path it
//! lists on a running server, so a route cannot go undescribed or a description unrouted.

use axum::Json;
use serde_json::{Value, json};

fn object(properties: Value, required: &[&str]) -> Value {
    json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": false })
}

fn operation(summary: &str, request: Option<Value>, response: Value) -> Value {
    let mut op = json!({
        "summary": summary,
        "responses": {
            "200": response,
            "400": { "$ref": "#/components/responses/Error" },
            "401": { "$ref": "#/components/responses/Error" },
            "404": { "$ref": "#/components/responses/Error" },
            "413": { "$ref": "#/components/responses/Error" },
            "503": { "$ref": "#/components/responses/Error" }
        }
    });
    if let Some(schema) = request {
        op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": schema } } });
    }
    op
}

fn json_response(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn png_response(description: &str) -> Value {
    json!({ "description": description, "content": { "image/png": { "schema": { "type": "string", "format": "binary" } } } })
}

pub fn spec() -> Value {
    let string = json!({ "type": "string" });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    let integer = json!({ "type": "integer", "minimum": 0 });
    let faces_format = json!({ "enum": ["grid", "png", "npy"] });
    let number = json!({ "type": "number" });
    let neighbours =
        json!({ "type": "array", "items": object(json!({ "word": string, "score": number }), &["word", "score"]) });
    let space = json!({ "type": "string", "description": "a loaded space (default: the first)" });
    let model = json!({ "type": "string", "description": "face-dcgan-celeba (default) or face-dcgan-digiface" });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "vecspace",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Vector arithmetic in word spaces, face-generator latents and language-model activations. Errors are JSON {code, message}; with a token, send Authorization: Bearer TOKEN."
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "responses": {
                "Error": json_response("an error", object(json!({ "code": string, "message": string }), &["code", "message"]))
            }
        },
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/spaces": { "get": operation("the loaded word spaces", None,
                json_response("spaces", json!({ "type": "array", "items": object(json!({ "name": string, "words": integer, "dims": integer, "default": { "type": "boolean" } }), &["name", "words", "dims", "default"]) }))) },
            "/api/query": { "post": operation("neighbours of an expression such as king - man + woman",
                Some(object(json!({ "expression": string, "k": integer, "space": space, "include_inputs": { "type": "boolean" } }), &["expression"])),
                json_response("the canonical expression and its neighbours (or its value, for a number)",
                    object(json!({ "space": string, "expression": string, "value": number, "results": neighbours, "notes": { "type": "array", "items": string } }), &["space", "expression", "results"]))) },
            "/api/analogy": { "post": operation("a is to b as c is to ?",
                Some(object(json!({ "a": string, "b": string, "c": string, "method": { "enum": ["add", "mul", "pair"] }, "k": integer, "space": space }), &["a", "b", "c"])),
                json_response("answers", object(json!({ "space": string, "method": string, "results": neighbours }), &["space", "method", "results"]))) },
            "/api/similarity": { "post": operation("cosine similarity of two words or expressions",
                Some(object(json!({ "a": string, "b": string, "space": space }), &["a", "b"])),
                json_response("similarity", object(json!({ "space": string, "similarity": number }), &["space", "similarity"]))) },
            "/api/plot": { "post": operation("2-D coordinates of words: principal components, or two axes given as expressions",
                Some(object(json!({ "words": strings, "axes": { "type": "array", "items": string, "minItems": 2, "maxItems": 2 }, "space": space }), &["words"])),
                json_response("points", object(json!({ "space": string, "axes": strings, "points": { "type": "array", "items": object(json!({ "word": string, "x": number, "y": number }), &["word", "x", "y"]) } }), &["space", "axes", "points"]))) },
            "/api/directions": {
                "get": operation("saved directions", None, json_response("directions", json!({ "type": "array", "items": { "type": "object" } }))),
                "post": operation("build a direction from word pairs and save it",
                    Some(object(json!({ "name": string, "pairs": { "type": "array", "items": strings }, "method": { "enum": ["mean-diff", "pca"] }, "space": space, "replace": { "type": "boolean", "description": "replace a saved direction of that name (else 409 exists)" } }), &["name", "pairs"])),
                    json_response("the saved direction", json!({ "type": "object" })))
            },
            "/api/along": { "post": operation("words by their projection on a saved direction",
                Some(object(json!({ "direction": string, "words": strings, "space": space }), &["direction", "words"])),
                json_response("projections, largest first", json!({ "type": "array", "items": object(json!({ "word": string, "projection": number }), &["word", "projection"]) }))) },
            "/api/jobs": { "post": operation("start an evaluation job (202 with its id)",
                Some(object(json!({ "kind": { "enum": ["analogies"] }, "set": string, "method": { "enum": ["add", "mul", "pair"] }, "restrict_vocab": integer, "space": space }), &["kind", "set"])),
                json_response("the job", json!({ "type": "object" }))) },
            "/api/jobs/{id}": { "get": {
                "summary": "a job's progress and, when done, its result",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": integer }],
                "responses": { "200": json_response("the job", object(json!({ "id": integer, "kind": string, "state": { "enum": ["running", "done", "failed"] }, "done": integer, "total": integer, "result": { "type": "object" }, "error": string }), &["id", "kind", "state", "done", "total"])), "404": { "$ref": "#/components/responses/Error" } }
            } },
            "/api/fetch": { "get": operation("registered spaces, benchmarks and models, and whether each is in the cache", None,
                json_response("entries", json!({ "type": "array", "items": { "type": "object" } }))) },
            "/api/faces/render": { "post": operation("a PNG grid of the faces of latent expressions (seed:N, mean(...), slerp(...))",
                Some(object(json!({ "latents": strings, "model": model, "columns": integer, "scale": integer, "format": faces_format }), &["latents"])),
                png_response("the faces")) },
            "/api/faces/edit": { "post": operation("a face moved along the direction from negative to positive marked seeds, at each strength",
                Some(object(json!({ "latent": string, "positive": { "type": "array", "items": integer }, "negative": { "type": "array", "items": integer }, "strengths": { "type": "array", "items": number }, "model": model, "scale": integer, "format": faces_format }), &["latent", "positive", "negative", "strengths"])),
                png_response("the sweep")) },
            "/api/faces/interpolate": { "post": operation("frames between two latents",
                Some(object(json!({ "from": string, "to": string, "steps": integer, "method": { "enum": ["slerp", "lerp"] }, "model": model, "scale": integer, "format": faces_format }), &["from", "to"])),
                png_response("the frames")) },
            "/api/faces/discover": { "post": operation("directions found without labels (SeFa or GANSpace), as a sheet: a row per direction, each seed swept from -3σ to +3σ; nothing is saved",
                Some(object(json!({ "method": { "enum": ["sefa", "ganspace"] }, "top": integer, "seeds": { "type": "array", "items": integer }, "steps": integer, "model": model, "scale": integer, "format": faces_format }), &["method"])),
                png_response("the sheet")) },
            "/api/faces/invert": { "post": {
                "summary": "the latent whose face comes closest to an uploaded PNG (the body, at most 4 MB), by gradient descent through the generator",
                "parameters": [
                    { "name": "steps", "in": "query", "schema": integer },
                    { "name": "starts", "in": "query", "schema": integer },
                    { "name": "crop", "in": "query", "schema": { "type": "string", "description": "LEFT,TOP,SIZE in pixels" } },
                    { "name": "model", "in": "query", "schema": model }
                ],
                "requestBody": { "required": true, "content": { "image/png": { "schema": { "type": "string", "format": "binary" } } } },
                "responses": {
                    "200": json_response("the latent, its pixel error in 8-bit levels, and the image beside the face found (a base64 PNG)",
                        object(json!({ "latent": { "type": "array", "items": number }, "rms_levels": number, "mean_abs_levels": number, "start_errors": { "type": "array", "items": number }, "faces_png": string }),
                            &["latent", "rms_levels", "mean_abs_levels", "start_errors", "faces_png"])),
                    "400": { "$ref": "#/components/responses/Error" },
                    "401": { "$ref": "#/components/responses/Error" },
                    "404": { "$ref": "#/components/responses/Error" },
                    "413": { "$ref": "#/components/responses/Error" },
                    "415": { "$ref": "#/components/responses/Error" },
                    "503": { "$ref": "#/components/responses/Error" }
                }
            } },
            "/api/lm/models": { "get": operation("the language models offered (the first is the default), each with its steering preset where one was measured",
                None,
                json_response("the models", object(json!({ "models": { "type": "array", "items": object(json!({
                    "name": string, "description": string, "license": { "type": ["string", "null"] }, "downloaded": { "type": "boolean" },
                    "layers": { "type": ["integer", "null"] },
                    "preset": { "type": ["object", "null"], "properties": { "layers": { "type": "array", "items": integer }, "coefficient": number, "normalize": { "type": "boolean" } } } }),
                    &["name", "description", "downloaded"]) } }), &["models"]))) },
            "/api/lm/vector": { "post": operation("a steering vector from a positive and a negative prompt (ActAdd) on a model; returns its id",
                Some(object(json!({ "positive": string, "negative": string, "model": string, "normalize": { "type": "boolean" } }), &["positive", "negative"])),
                json_response("the vector", object(json!({ "id": string, "model": string, "layers": integer, "width": integer }), &["id", "model", "layers", "width"]))) },
            "/api/lm/generate": { "post": operation("generation, steered or not, streamed as server-sent events: token {text}, then done {counts} or error {message}; a vector runs only on the model it was built on",
                Some(object(json!({ "prompt": string, "model": string, "chat": { "type": "boolean" }, "max_tokens": integer, "temperature": number, "top_p": number, "seed": integer,
                    "steer": { "type": "array", "items": object(json!({ "vector": string, "coefficient": number }), &["vector", "coefficient"]) },
                    "layers": { "type": "array", "items": integer, "minItems": 2, "maxItems": 2 }, "generated_only": { "type": "boolean" } }), &["prompt"])),
                json!({ "description": "an event stream", "content": { "text/event-stream": { "schema": string } } })) }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(spec())
}
