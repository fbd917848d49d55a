{%- set src = source('cvdw', 'corretores') -%}
{%- set cols = cvdw_columns('cvdw', 'corretores') -%}

with

renamed as (

    select
        {{ cvdw_column(cols, 'idcorretor', 'bigint') }} as idcorretor,
        {{ cvdw_column(cols, 'idimobiliaria', 'bigint') }} as idimobiliaria,
        {{ cvdw_text(cvdw_column(cols, 'nome')) }} as corretor,
        {{ cvdw_text(cvdw_column(cols, 'categoria')) }} as categoria,
        {{ cvdw_text(cvdw_column(cols, 'nivel')) }} as nivel,
        {{ cvdw_text(cvdw_column(cols, 'creci')) }} as creci,
        {{ cvdw_timestamp(cvdw_column(cols, 'data_cad')) }} as data_cad,
        coalesce({{ cvdw_bool(cvdw_column(cols, 'ativo')) }}, true) as is_ativo,
        {{ cvdw_timestamp(cvdw_column(cols, 'referencia_data')) }} as atualizado_em,
        {{ cvdw_column(cols, '_dlt_load_id') }} as _dlt_load_id
    from {{ cvdw_from(src, cols) }}

),

final as (

    select distinct on (idcorretor) *
    from renamed
    where idcorretor is not null
    order by idcorretor, {{ cvdw_newest_first() }}

)

select * from final
