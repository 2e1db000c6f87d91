package io.atrium.web.api;

import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Maps errors of the REST API to RFC 9457 problem details: a broker error to its status
 * (a missing thing is 404, never 500), invalid input to 400 naming each bad field.
 */
@RestControllerAdvice(basePackages = "io.atrium.web.api")
class ApiErrors {

    @ExceptionHandler(BrokerException.class)
    org.springframework.http.ResponseEntity<ProblemDetail> broker(BrokerException e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.valueOf(e.status().httpStatus()), e.getMessage());
        p.setProperty("code", e.status().name());
        var response = org.springframework.http.ResponseEntity.status(e.status().httpStatus());
        if (e instanceof io.atrium.broker.identity.LoginRefusedException r && r.retryAfter().isPresent()) {
            response.header("Retry-After", Long.toString(Math.max(1, (r.retryAfter().get().toMillis() + 999) / 1000)));
        }
        return response.body(p);
    }

    /** Input the broker refused: 400 naming each bad field ({@code fields}: field → message). */
    @ExceptionHandler(InvalidInputException.class)
    ProblemDetail invalidInput(InvalidInputException e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, e.getMessage());
        p.setProperty("code", e.status().name());
        p.setProperty("fields", e.fieldErrors());
        return p;
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ProblemDetail unreadable(HttpMessageNotReadableException e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
                "The request body is not valid JSON of the expected shape");
        p.setProperty("code", "INVALID_INPUT");
        return p;
    }

    @ExceptionHandler(MethodArgumentNotValidException.class)
    ProblemDetail invalid(MethodArgumentNotValidException e) {
        Map<String, String> fields = new LinkedHashMap<>();
        e.getBindingResult().getFieldErrors().forEach(f -> fields.putIfAbsent(f.getField(), f.getDefaultMessage()));
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, "Invalid input: " + fields.keySet());
        p.setProperty("code", "INVALID_INPUT");
        p.setProperty("fields", fields);
        return p;
    }

    /** A path or query parameter of the wrong type ({@code active=maybe}, an unknown action): 400 naming it. */
    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ProblemDetail mismatch(MethodArgumentTypeMismatchException e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
                "Invalid value for " + e.getName());
        p.setProperty("code", "INVALID_INPUT");
        p.setProperty("fields", Map.of(e.getName(), "not a valid "
                + (e.getRequiredType() == null ? "value" : e.getRequiredType().getSimpleName())));
        return p;
    }

    @ExceptionHandler(AccessDeniedException.class)
    ProblemDetail denied(AccessDeniedException e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.FORBIDDEN, "You may not do this.");
        p.setProperty("code", "FORBIDDEN");
        return p;
    }
}
