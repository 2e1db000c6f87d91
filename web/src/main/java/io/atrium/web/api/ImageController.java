package io.atrium.web.api;

import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.image.Image;
import io.atrium.broker.image.ImageLibraryService;
import io.atrium.broker.image.ImageVersion;
import io.atrium.web.api.ImageApiModels.ImageRequest;
import io.atrium.web.api.ImageApiModels.ImageResponse;
import io.atrium.web.api.ImageApiModels.InstallRequest;
import io.atrium.web.api.ImageApiModels.LogEntryResponse;
import io.atrium.web.api.ImageApiModels.UploadRequest;
import io.atrium.web.api.ImageApiModels.VersionResponse;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The image library over REST, with the same service (hence authorization, {@code ROLE_ADMIN}) as Admin → Images.
 *
 * <ul>
 *   <li>{@code GET|POST /api/images}, {@code GET|DELETE /api/images/{id}}: images with their versions;</li>
 *   <li>{@code POST /api/images/{id}/versions}: a new version from an upload (format, firmware, size); its bytes
 *       follow with {@code PUT /api/image-versions/{versionId}/disk} ({@code application/octet-stream}, or no
 *       content type), streamed to the host (never held in memory; the form-content filter, which would read a
 *       form-encoded body into memory, is off):
 *       {@code Content-Length} is required and checked against the quota before anything is read; a resumed
 *       upload sends {@code Content-Range: bytes <first>-<last>/<total>} and continues where
 *       {@code receivedBytes} ends; beyond the quota the stream is cut off (413); when the total arrived, validation
 *       starts;</li>
 *   <li>{@code GET /api/image-versions/{id}} (state, {@code receivedBytes}, reason), {@code …/log};</li>
 *   <li>{@code POST /api/image-versions/{id}/actions/{seal|mark-sealed|test|retire|start-draft|complete-upload}};
 *       {@code POST /api/image-versions/{id}/edit} (a linked-clone draft, the next version);
 *       {@code POST /api/images/{id}/installs} (a draft from an ISO); {@code GET …/screenshot} (a draft's screen).</li>
 * </ul>
 * Errors (see {@link ApiErrors}): unknown image or version 404, bad input 400 with {@code fields}, an action the
 * version's state does not allow 409, an upload beyond the quota 413.
 */
@RestController
@RequestMapping("/api")
class ImageController {
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)");

    private final ImageLibraryService library;

    ImageController(ImageLibraryService library) {
        this.library = library;
    }

    @GetMapping("/images")
    List<ImageResponse> images() {
        return library.images().stream().map(ImageResponse::of).toList();
    }

    @PostMapping("/images")
    ResponseEntity<ImageResponse> create(@RequestBody(required = false) ImageRequest body) {
        Image image = library.createImage(body == null ? null : body.name(), body == null ? null : body.description());
        return ResponseEntity.created(URI.create("/api/images/" + image.id()))
                .body(ImageResponse.of(library.image(image.id())));
    }

    @GetMapping("/images/{imageId}")
    ImageResponse image(@PathVariable String imageId) {
        return ImageResponse.of(library.image(imageId));
    }

    @DeleteMapping("/images/{imageId}")
    ResponseEntity<Void> delete(@PathVariable String imageId) {
        library.deleteImage(imageId);
        return ResponseEntity.noContent().build();
    }

    /** A new version from an upload: UPLOADING, with the {@code uploadUrl} its bytes go to. */
    @PostMapping("/images/{imageId}/versions")
    ResponseEntity<VersionResponse> startUpload(@PathVariable String imageId,
                                                @RequestBody(required = false) UploadRequest body) {
        ImageVersion v = library.startUpload(imageId, body == null ? null : body.toSpec());
        return ResponseEntity.created(URI.create("/api/image-versions/" + v.id())).body(VersionResponse.of(v));
    }

    /** A draft installed from an uploaded ISO into a blank disk; its machine runs (open its console). */
    @PostMapping("/images/{imageId}/installs")
    ResponseEntity<VersionResponse> install(@PathVariable String imageId,
                                            @RequestBody(required = false) InstallRequest body) {
        ImageVersion v = library.installDraft(imageId, body == null ? null : body.toSpec());
        return ResponseEntity.created(URI.create("/api/image-versions/" + v.id())).body(VersionResponse.of(v));
    }

    @GetMapping("/image-versions/{versionId}")
    VersionResponse version(@PathVariable String versionId) {
        return VersionResponse.of(library.version(versionId));
    }

    @GetMapping("/image-versions/{versionId}/log")
    List<LogEntryResponse> log(@PathVariable String versionId) {
        return library.log(versionId).stream().map(LogEntryResponse::of).toList();
    }

    /**
     * A piece (or all) of the upload, streamed from the request body to the host.
     *
     * @throws InvalidInputException without a {@code Content-Length}, or with a malformed {@code Content-Range}
     */
    @PutMapping(value = "/image-versions/{versionId}/disk", consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    VersionResponse upload(@PathVariable String versionId,
                           @RequestHeader(value = "Content-Range", required = false) String contentRange,
                           HttpServletRequest request) throws IOException {
        long length = request.getContentLengthLong();
        if (length < 0) {
            throw InvalidInputException.of("Content-Length", "is required (the upload is checked against the quota "
                    + "before it is read)");
        }
        long offset = 0;
        Long total = length;
        if (contentRange != null) {
            Matcher m = CONTENT_RANGE.matcher(contentRange.strip());
            if (!m.matches()) {
                throw InvalidInputException.of("Content-Range", "must be 'bytes <first>-<last>/<total>'");
            }
            offset = Long.parseLong(m.group(1));
            long last = Long.parseLong(m.group(2));
            total = Long.parseLong(m.group(3));
            if (last < offset || last - offset + 1 != length || last >= total) {
                throw InvalidInputException.of("Content-Range", "does not match the Content-Length of " + length);
            }
        }
        // beyond the quota the service refuses before a byte is read (413), and the version fails
        try (InputStream body = request.getInputStream()) {
            return VersionResponse.of(library.receive(versionId, offset, body, total));
        }
    }

    @PostMapping("/image-versions/{versionId}/actions/{action}")
    VersionResponse action(@PathVariable String versionId, @PathVariable String action) {
        ImageVersion v = switch (action) {
            case "seal" -> library.seal(versionId, true);
            case "mark-sealed" -> library.seal(versionId, false);
            case "test" -> library.retest(versionId);
            case "retire" -> library.retire(versionId);
            case "start-draft" -> library.startDraft(versionId);
            case "complete-upload" -> library.completeUpload(versionId);
            default -> throw BrokerException.notFound("Action " + action);
        };
        return VersionResponse.of(v);
    }

    /** Edits a version: a new draft version (the next number), a linked clone of it; its machine runs. */
    @PostMapping("/image-versions/{versionId}/edit")
    ResponseEntity<VersionResponse> edit(@PathVariable String versionId) {
        ImageVersion v = library.editDraft(versionId);
        return ResponseEntity.created(URI.create("/api/image-versions/" + v.id())).body(VersionResponse.of(v));
    }

    /** The screen of a version's draft machine (PNG); 404 when none runs. */
    @GetMapping(value = "/image-versions/{versionId}/screenshot", produces = MediaType.IMAGE_PNG_VALUE)
    ResponseEntity<byte[]> screenshot(@PathVariable String versionId) {
        return library.draftScreen(versionId).map(png -> ResponseEntity.ok().contentType(MediaType.IMAGE_PNG).body(png))
                .orElseThrow(() -> BrokerException.notFound("A running draft machine of " + versionId));
    }
}
