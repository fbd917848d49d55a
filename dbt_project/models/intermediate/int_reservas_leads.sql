-- One row per reservation and lead: CVDW's comma-separated `idlead` ("8757, 211964") split.
with

reservas as (

    select * from {{ ref('stg_cvdw__reservas') }}
    where idlead is not null

),

final as (

    select distinct
        reservas.idreserva,
        trim(leads.idlead)::bigint as idlead
    from reservas
    cross join lateral unnest(string_to_array(reservas.idlead, ',')) as leads (idlead)
    where trim(leads.idlead) ~ '^[0-9]+$'

)

select * from final
