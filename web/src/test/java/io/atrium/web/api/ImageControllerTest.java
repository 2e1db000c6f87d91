package io.atrium.web.api;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.image.IllegalVersionTransitionException;
import io.atrium.broker.image.Image;
import io.atrium.broker.image.ImageLibraryService;
import io.atrium.broker.image.ImageVersion;
import io.atrium.broker.image.VersionLogEntry;
import io.atrium.broker.image.VersionState;
import io.atrium.vmm.api.DiskFormat;
import io.atrium.vmm.api.Firmware;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.atrium.web.api.ApiSlice.as;
import static io.atrium.web.api.ApiSlice.mockOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.reset;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * {@code /api/images} and {@code /api/image-versions}: JSON shapes, the streamed upload (offsets and totals from
 * {@code Content-Length} and {@code Content-Range}, the body handed on as a stream), 400/404/409/413, admin only.
 */
@WebMvcTest(ImageController.class)
@ApiSlice.ApiSecurity
class ImageControllerTest {

    @TestConfiguration(proxyBeanMethods = false)
    static class Services {
        @Bean
        ImageLibraryService imageLibraryService() {
            return mock(ImageLibraryService.class);
        }
    }

    static final Instant T = Instant.parse("2026-12-01T10:00:00Z");
    static final Image DEBIAN = new Image("img-1", "debian", Image.Kind.LIBRARY, "Debian", T);

    static ImageVersion version(VersionState state) {
        return new ImageVersion("debian-v1-abc123", "img-1", "debian", 1, state, ImageVersion.Source.UPLOAD,
                ImageVersion.Kind.DISK, Optional.of(DiskFormat.QCOW2), Firmware.UEFI, 512, Optional.empty(),
                Optional.of("up-1"), Optional.of(10L), 0, Optional.empty(), Optional.empty(), Optional.of(false),
                Optional.empty(), true, state == VersionState.FAILED ? "refused (BACKING_FILE): …" : null, "admin", T, T);
    }

    @Autowired MockMvc mvc;
    @Autowired ImageLibraryService service;
    ImageLibraryService library;

    @BeforeEach
    void unwrap() {
        library = mockOf(service);
        reset(library);
    }

    @Test
    void imagesWithTheirVersions() throws Exception {
        when(library.images()).thenReturn(List.of(new ImageLibraryService.ImageSummary(DEBIAN,
                List.of(version(VersionState.READY)), Map.of("debian-v1-abc123", List.of("lab")))));
        mvc.perform(get("/api/images").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[0].name").value("debian"))
                .andExpect(jsonPath("$[0].versions[0].label").value("debian v1"))
                .andExpect(jsonPath("$[0].versions[0].state").value("READY"))
                .andExpect(jsonPath("$[0].versions[0].firmware").value("UEFI"))
                .andExpect(jsonPath("$[0].versions[0].coldBootOnly").value(true))
                .andExpect(jsonPath("$[0].pools['debian-v1-abc123'][0]").value("lab"));
    }

    @Test
    void onlyAdministrators() throws Exception {
        mvc.perform(get("/api/images")).andExpect(status().isUnauthorized());
        mvc.perform(get("/api/images").with(as("alice"))).andExpect(status().isForbidden());
        mvc.perform(put("/api/image-versions/v/disk").with(as("alice")).content(new byte[3]))
                .andExpect(status().isForbidden());
        verifyNoInteractions(library);
    }

    @Test
    void creatingAnImageIs201AndBadNamesAre400() throws Exception {
        when(library.createImage("debian", "Debian")).thenReturn(DEBIAN);
        when(library.image("img-1")).thenReturn(new ImageLibraryService.ImageSummary(DEBIAN, List.of(), Map.of()));
        when(library.createImage(eq("Bad!"), any())).thenThrow(InvalidInputException.of("name", "must be …"));
        mvc.perform(post("/api/images").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"name\":\"debian\",\"description\":\"Debian\"}"))
                .andExpect(status().isCreated())
                .andExpect(header().string("Location", "/api/images/img-1"))
                .andExpect(jsonPath("$.kind").value("LIBRARY"));
        mvc.perform(post("/api/images").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"name\":\"Bad!\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.fields.name").value("must be …"));
    }

    @Test
    void anUploadStartsThenItsBytesAreStreamedInPieces() throws Exception {
        when(library.startUpload(eq("img-1"), any())).thenReturn(version(VersionState.UPLOADING));
        mvc.perform(post("/api/images/img-1/versions").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"format\":\"qcow2\",\"firmware\":\"UEFI\",\"sizeBytes\":10}"))
                .andExpect(status().isCreated())
                .andExpect(jsonPath("$.uploadUrl").value("/api/image-versions/debian-v1-abc123/disk"));
        ArgumentCaptor<ImageLibraryService.UploadSpec> spec = ArgumentCaptor.forClass(ImageLibraryService.UploadSpec.class);
        verify(library).startUpload(eq("img-1"), spec.capture());
        assertThat(spec.getValue()).isEqualTo(new ImageLibraryService.UploadSpec("qcow2", "UEFI", null, 10L, null));

        ArgumentCaptor<InputStream> body = ArgumentCaptor.forClass(InputStream.class);
        when(library.receive(eq("debian-v1-abc123"), anyLong(), any(), any())).thenAnswer(call -> {
            InputStream in = call.getArgument(2);
            assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isIn("01234", "56789");
            return version(VersionState.UPLOADING);
        });
        mvc.perform(put("/api/image-versions/debian-v1-abc123/disk").with(as("admin"))
                        .header("Content-Range", "bytes 0-4/10").content("01234".getBytes()))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.state").value("UPLOADING"));
        verify(library).receive(eq("debian-v1-abc123"), eq(0L), body.capture(), eq(10L));
        mvc.perform(put("/api/image-versions/debian-v1-abc123/disk").with(as("admin"))
                        .header("Content-Range", "bytes 5-9/10").content("56789".getBytes()))
                .andExpect(status().isOk());
        verify(library).receive(eq("debian-v1-abc123"), eq(5L), any(), eq(10L));
        // without a range, the whole file at once: its Content-Length is the total
        mvc.perform(put("/api/image-versions/debian-v1-abc123/disk").with(as("admin")).content("01234".getBytes()))
                .andExpect(status().isOk());
        verify(library).receive(eq("debian-v1-abc123"), eq(0L), any(), eq(5L));
    }

    @Test
    void uploadHeadersAreCheckedAndTheQuotaIs413() throws Exception {
        mvc.perform(put("/api/image-versions/v/disk").with(as("admin")))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.fields['Content-Length']").exists());
        mvc.perform(put("/api/image-versions/v/disk").with(as("admin")).header("Content-Range", "bytes 9-1/5")
                        .content("01234".getBytes()))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.fields['Content-Range']").exists());
        mvc.perform(put("/api/image-versions/v/disk").with(as("admin")).header("Content-Range", "some bytes")
                        .content("01234".getBytes()))
                .andExpect(status().isBadRequest());
        // a form-encoded body would be read into memory by a form filter: not an upload
        mvc.perform(put("/api/image-versions/v/disk").with(as("admin"))
                        .contentType(MediaType.APPLICATION_FORM_URLENCODED).content("a=b"))
                .andExpect(status().isUnsupportedMediaType());
        when(library.receive(eq("v"), anyLong(), any(), any())).thenThrow(new BrokerException(BrokerStatus.TOO_LARGE,
                "refused (QUOTA): the upload is larger than the quota"));
        mvc.perform(put("/api/image-versions/v/disk").with(as("admin")).content("01234".getBytes()))
                .andExpect(status().isPayloadTooLarge())
                .andExpect(jsonPath("$.code").value("TOO_LARGE"))
                .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString("QUOTA")));
    }

    @Test
    void actionsLogsAndTheirErrors() throws Exception {
        when(library.seal("v", true)).thenReturn(version(VersionState.SEALING));
        when(library.seal("v", false)).thenReturn(version(VersionState.SEALING));
        when(library.retire("v")).thenThrow(new IllegalVersionTransitionException(VersionState.PUBLISHED,
                VersionState.RETIRED, "Version debian v1 cannot be retired: 1 pool(s) use it"));
        when(library.version("gone")).thenThrow(BrokerException.notFound("Image version gone"));
        when(library.log("v")).thenReturn(List.of(new VersionLogEntry("v", 1, T, VersionLogEntry.Level.ERROR,
                "refused (BACKING_FILE): backing files are not allowed")));
        mvc.perform(post("/api/image-versions/v/actions/seal").with(as("admin")))
                .andExpect(status().isOk()).andExpect(jsonPath("$.state").value("SEALING"));
        mvc.perform(post("/api/image-versions/v/actions/mark-sealed").with(as("admin"))).andExpect(status().isOk());
        verify(library).seal("v", false);
        mvc.perform(post("/api/image-versions/v/actions/retire").with(as("admin")))
                .andExpect(status().isConflict())
                .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString("pool(s) use it")));
        mvc.perform(post("/api/image-versions/v/actions/explode").with(as("admin"))).andExpect(status().isNotFound());
        mvc.perform(get("/api/image-versions/gone").with(as("admin"))).andExpect(status().isNotFound());
        mvc.perform(get("/api/image-versions/v/log").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[0].level").value("ERROR"))
                .andExpect(jsonPath("$[0].message").value(org.hamcrest.Matchers.containsString("BACKING_FILE")));
    }
}
